// The ONNX Runtime decoder against the tfjs one on the shipped models: same captions (greedy,
// beam search, hard attention's sampled locations), log-probabilities, β and maps within 1e-4.
import t from 'tap';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../../src/runtime/backend.ts';
import { Encoder, type InputSize } from '../../src/encoder/encoder.ts';
import { prepareImage } from '../../src/encoder/preprocess.ts';
import { Decoder } from '../../src/model/tfjs-decoder.ts';
import { loadDecoder } from '../../src/model/io.ts';
import { OrtDecoder } from '../../src/model/ort-decoder.ts';
import { TfjsStepDecoder } from '../../src/model/tfjs-step.ts';
import type { StepDecoder } from '../../src/model/step.ts';
import { beamSearchBatch } from '../../src/decoding/beam.ts';
import { argmaxChooser, decodeStepwise } from '../../src/decoding/stepwise.ts';
import type { Hypothesis } from '../../src/decoding/types.ts';
import { mulberry32 } from '../../src/util/rng.ts';
import { SHARED_MODELS, skipWithoutModel } from '../helpers/shared-dir.ts';
import { sceneImage } from '../helpers/scenes.ts';

const MODELS = fileURLToPath(new URL('../../models', import.meta.url));
const TOL = 1e-4;
const IMAGES = 6;

await initBackend();

/** Largest difference between two hypothesis lists' log-probabilities, β and α (same words required). */
function maxDiff(a: Hypothesis[], b: Hypothesis[]): number {
  let d = 0;
  a.forEach((h, i) => {
    d = Math.max(d, Math.abs(h.logprob - b[i].logprob));
    h.steps.forEach((s, j) => {
      const o = b[i].steps[j];
      d = Math.max(d, Math.abs(s.logprob - o.logprob), Math.abs(s.beta - o.beta), ...s.alpha.map((v, r) => Math.abs(v - o.alpha[r])));
    });
  });
  return d;
}

const words = (hs: Hypothesis[]) => hs.map((h) => h.words.join(' '));

for (const kind of ['soft', 'hard'] as const) {
  const skip = skipWithoutModel || (!existsSync(`${MODELS}/${kind}/config.json`) && `no shipped ${kind} model in ${MODELS}`);
  t.test(`${kind}: ORT and tfjs decoders give the same captions; numbers within ${TOL}`, { skip }, async (t) => {
    const saved = await loadDecoder(`${MODELS}/${kind}`);
    const tfjs = new TfjsStepDecoder(new Decoder(saved.config, saved.vocab, saved.params));
    const ort = new OrtDecoder(saved.config, saved.vocab, saved.params, { intraOpThreads: 1 });
    const size = saved.config.encoder.inputSize as InputSize; // the shipped model's grid (7×7 at 224, 14×14 at 448)
    const encoder = await Encoder.load({ modelsDir: SHARED_MODELS, inputSize: size, allowDownload: false });
    t.teardown(async () => { tfjs.dispose(); ort.dispose(); await encoder.dispose(); });
    const prepared = await Promise.all(Array.from({ length: IMAGES }, async (_, i) => prepareImage(await sceneImage(100 + i), size)));
    const { features } = await encoder.encode(prepared.map((p) => p.tensor));
    const per = ort.regions * saved.config.featureDim;

    const greedy = (d: StepDecoder) => decodeStepwise(d, features, { maxLength: 20, choose: argmaxChooser, details: true });
    const [g1, g2] = [greedy(tfjs), greedy(ort)];
    t.same(words(g2), words(g1), `greedy: same captions (${words(g1).slice(0, 3).join(' | ')} …)`);
    t.ok(new Set(words(g1)).size > 1, 'the generated images get different captions');
    const dg = maxDiff(g1, g2);
    t.ok(dg < TOL, `greedy: log-probs, β, α within ${TOL} (max diff ${dg.toExponential(2)})`);

    for (const k of [3, 5]) {
      const beam = (d: StepDecoder) => beamSearchBatch(d, features, { beamSize: k, maxLength: 20, nBest: k, lengthPenalty: 0 });
      const [b1, b2] = [beam(tfjs), beam(ort)];
      t.same(b2.map(words), b1.map(words), `beam ${k}: same n-best lists for every image`);
      const db = Math.max(...b1.map((hs, n) => maxDiff(hs, b2[n])));
      t.ok(db < TOL, `beam ${k}: log-probs, β, α within ${TOL} (max diff ${db.toExponential(2)})`);
    }

    if (kind === 'hard') {
      // Sampled locations s_t ~ Multinoulli(α_t) from the same random stream: same regions, same words.
      const sampled = (d: StepDecoder) =>
        Array.from({ length: IMAGES }, (_, n) => {
          const rng = mulberry32(7 + n);
          return decodeStepwise(d, features.subarray(n * per, (n + 1) * per), { maxLength: 20, choose: argmaxChooser, mode: { kind: 'sample', rng }, details: true })[0];
        });
      const [s1, s2] = [sampled(tfjs), sampled(ort)];
      t.same(s2.map((h) => h.steps.map((s) => s.region)), s1.map((h) => h.steps.map((s) => s.region)), 'sampled locations: same regions');
      t.same(words(s2), words(s1), 'sampled locations: same captions');
      t.ok(s2.every((h) => h.steps.every((s) => s.region! >= 0 && s.region! < ort.regions)), 'regions on the grid');
      const ds = maxDiff(s1, s2);
      t.ok(ds < TOL, `sampled locations: numbers within ${TOL} (max diff ${ds.toExponential(2)})`);
    }
  });
}

t.test('the ORT decoder rejects parameters that do not fit its config', { skip: !existsSync(`${MODELS}/soft/config.json`) && 'no shipped soft model' }, async (t) => {
  const saved = await loadDecoder(`${MODELS}/soft`);
  t.throws(() => new OrtDecoder(saved.config, saved.vocab, saved.params.subarray(1), { intraOpThreads: 1 }), /expected \d+ parameters/);
});
