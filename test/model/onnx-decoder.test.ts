// The decoder's equations traced into ONNX graphs (src/model/onnx-decoder.ts via graph-ops.ts)
// compute what they compute on tfjs (ops.ts), on a tiny random decoder: no shipped model needed
// (test/model/ort-decoder.test.ts does the same on the shipped ones, through the search).
import t from 'tap';
import onnxProto from 'onnx-proto';
import { initBackend } from '../../src/runtime/backend.ts';
import { OrtDecoder } from '../../src/model/ort-decoder.ts';
import { TfjsStepDecoder } from '../../src/model/tfjs-step.ts';
import { stepGraph } from '../../src/model/onnx-decoder.ts';
import type { ContextMode, StepDecoder, StepResult } from '../../src/model/step.ts';
import { mulberry32 } from '../../src/util/rng.ts';
import { START_ID } from '../../src/data/vocab.ts';
import { randomFeatures, tinyDecoder } from '../helpers/tiny.ts';

await initBackend();
const TOL = 1e-5;

const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((d, x, i) => Math.max(d, Math.abs(x - b[i])), 0);

/** Two steps for 3 images, a beam-style reordering of the rows, one more step: every step's results. */
function run<S>(d: StepDecoder<S>, mode: () => ContextMode): StepResult<S>[] {
  const s0 = d.init(randomFeatures(3, d.config, 5), 3);
  const r1 = d.step(s0, new Int32Array(3).fill(START_ID), mode());
  const r2 = d.step(r1.state, Int32Array.from([4, 5, 6]), mode());
  const rows = d.select(r2.state, Int32Array.from([2, 0, 0, 1])); // image 0 twice, image 2 first
  const r3 = d.step(rows, Int32Array.from([7, 8, 9, 10]), mode());
  for (const s of [s0, r1.state, r2.state, rows, r3.state]) d.release(s);
  return [r1, r2, r3];
}

for (const attention of ['soft', 'hard'] as const) {
  t.test(`${attention}: the traced graphs and the tfjs functions agree step by step`, async (t) => {
    const dec = tinyDecoder(3, { attention });
    const tfjs = new TfjsStepDecoder(dec);
    const ort = new OrtDecoder(dec.config, dec.vocab, dec.flat, { intraOpThreads: 1 });
    t.teardown(() => { tfjs.dispose(); ort.dispose(); });
    const modes: [string, () => () => ContextMode][] = [['expected', () => () => ({ kind: 'expected' })]];
    if (attention === 'hard') modes.push(['sampled locations', () => { const rng = mulberry32(11); return () => ({ kind: 'sample', rng }); }]);
    for (const [name, mode] of modes) {
      const [a, b] = [run(tfjs, mode()), run(ort, mode())];
      a.forEach((r, i) => {
        const d = Math.max(maxDiff(r.logprobs, b[i].logprobs), maxDiff(r.alpha, b[i].alpha), maxDiff(r.beta, b[i].beta));
        t.ok(d < TOL, `${name}, step ${i + 1}: log-probs, α, β within ${TOL} (max diff ${d.toExponential(2)})`);
        if (r.region) t.same(b[i].region, r.region, `${name}, step ${i + 1}: same sampled regions`);
      });
    }
  });
}

t.test('the step graph keeps its size: one node per operation of the equations, nothing added by tracing', async (t) => {
  const dec = tinyDecoder(3);
  const graph = onnxProto.onnx.ModelProto.decode(stepGraph(dec.config, dec.flat)).graph!;
  const count = (type: string) => graph.node!.filter((n) => n.opType === type).length;
  // 8 products with weight matrices and the batched context product; 51 nodes, as when the graph was written by hand
  t.equal(count('MatMul'), 9, 'MatMul nodes');
  t.equal(graph.node!.length, 51, 'nodes in all');
  t.equal(graph.initializer!.filter((i) => i.name!.startsWith('w_')).length, 13, 'each parameter of the step once (not the init graph\'s six)');
  dec.dispose();
});
