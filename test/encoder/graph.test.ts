import { readFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import ort from 'onnxruntime-node';
import t from 'tap';
import { exposeFeatures, FEATURES_OUTPUT } from '../../src/encoder/graph.ts';
import { MODEL_FILE, skipWithoutModel } from '../helpers/shared-dir.ts';

const { onnx } = onnxProto;
const dims = (vi: onnxProto.onnx.IValueInfoProto) =>
  vi.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));

/** A float model input -> GlobalAveragePool -> output, fixed at 8x8. */
function tinyFloatModel(): Uint8Array {
  const vi = (name: string, shape: (number | string)[]) => ({
    name,
    type: { tensorType: { elemType: 1, shape: { dim: shape.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
  });
  return onnx.ModelProto.encode({
    irVersion: 7, opsetImport: [{ domain: '', version: 12 }],
    graph: {
      name: 'tiny', node: [{ opType: 'GlobalAveragePool', input: ['input'], output: ['output'] }],
      input: [vi('input', ['batch', 4, 8, 8])], output: [vi('output', ['batch', 4, 1, 1])],
    },
  }).finish();
}

t.test('float GlobalAveragePool model: features = the pooled tensor, region-major, dynamic H/W', async (t) => {
  const edited = exposeFeatures(tinyFloatModel());
  const g = onnx.ModelProto.decode(edited).graph!;
  t.same(dims(g.input![0]), ['batch', 4, 'height', 'width']);
  const session = await ort.InferenceSession.create(edited);
  const x = Float32Array.from({ length: 2 * 4 * 3 * 5 }, (_, i) => i);
  const out = await session.run({ input: new ort.Tensor('float32', x, [2, 4, 3, 5]) });
  t.same(out[FEATURES_OUTPUT].dims, [2, 3, 5, 4], 'region-major [N, H, W, C]');
  // [N, C, H, W] -> [N, H, W, C]: the value of channel c at region r is x[n, c, r].
  const expected = Array.from({ length: x.length }, (_, i) => {
    const n = Math.floor(i / 60), r = Math.floor((i % 60) / 4), c = i % 4;
    return x[n * 60 + c * 15 + r];
  });
  t.same(Array.from(out[FEATURES_OUTPUT].data as Float32Array), expected);
  await session.release();
});

t.test('MobileNetV2 int8: exposes the dequantized 627 map with dynamic dims', { skip: skipWithoutModel }, async (t) => {
  const edited = exposeFeatures(readFileSync(MODEL_FILE));
  const g = onnx.ModelProto.decode(edited).graph!;
  t.same(dims(g.input![0]), ['batch_size', 3, 'height', 'width']);
  const features = g.output!.find((o) => o.name === FEATURES_OUTPUT)!;
  t.same(dims(features), ['batch_size', 'grid_h', 'grid_w', 'channels']);
  const transpose = g.node!.find((n) => n.output![0] === FEATURES_OUTPUT)!;
  t.equal(transpose.opType, 'Transpose');
  t.same(transpose.input, ['627'], 'reuses the existing DequantizeLinear output');
  t.equal(exposeFeatures(edited), edited, 'editing twice is a no-op');

  const session = await ort.InferenceSession.create(edited, { intraOpNumThreads: 1 });
  for (const [size, grid] of [[224, 7], [448, 14]]) {
    const out = await session.run({ input: new ort.Tensor('float32', new Float32Array(3 * size * size), [1, 3, size, size]) });
    t.same(out[FEATURES_OUTPUT].dims, [1, grid, grid, 1280], `${size} -> ${grid}x${grid}`);
    t.same(out.output.dims, [1, 1000]);
  }
  await session.release();
});

t.test('quantized pool without a DequantizeLinear gets one added', { skip: skipWithoutModel }, async (t) => {
  const model = onnx.ModelProto.decode(readFileSync(MODEL_FILE));
  const graph = model.graph!;
  // Drop the original DequantizeLinear and point its consumers (the Shape node) at the quantized map.
  graph.node = graph.node!.filter((n) => !(n.opType === 'DequantizeLinear' && n.output![0] === '627'));
  for (const n of graph.node) n.input = n.input!.map((i) => (i === '627' ? '627_quantized' : i));
  const g = onnx.ModelProto.decode(exposeFeatures(onnx.ModelProto.encode(model).finish())).graph!;
  const deq = g.node!.find((n) => n.opType === 'DequantizeLinear' && n.input![0] === '627_quantized')!;
  t.ok(deq, 'DequantizeLinear added');
  t.same(deq.input, ['627_quantized', '627_scale', '627_zero_point']);
  t.same(g.node!.find((n) => n.output![0] === FEATURES_OUTPUT)!.input, deq.output);
});
