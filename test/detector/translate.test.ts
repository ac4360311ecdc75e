// The ONNX translation computes what the original TF.js graph computes (run by tfjs-converter on
// tfjs-wasm), on real photos: the same detections at the export size (512), and the same head
// maps at the smaller sizes the service may run (the graph's resize sizes scaled alike).
import { readFile } from 'node:fs/promises';
import ort from 'onnxruntime-node';
import t from 'tap';
import { buildCenterNetOnnx, Detector } from '../../src/detector/detector.ts';
import { readTfGraph } from '../../src/detector/tfjs-graph.ts';
import type { RawDetection } from '../../src/detector/types.ts';
import { prepareImage } from '../../src/encoder/preprocess.ts';
import { initBackend } from '../../src/runtime/backend.ts';
import { loadTfjsDetector, pixelsNhwc } from '../helpers/tfjs-detector.ts';
import { CENTERNET_JSON, COCO_MINI, DETECTOR_MODELS, skipWithoutDetector } from './shared.ts';

// Zebras in grass; a street with people, cars, a truck, a bicycle, a stop sign and a traffic light.
const PHOTOS = ['000000281789.jpg', '000000231460.jpg'];
const MIN_SCORE = 0.1;
const clip01 = (v: number) => Math.min(1, Math.max(0, v));

/** The graph's own tail output [1, 100, 6] (input pixels) as RawDetections ≥ MIN_SCORE. */
function fromGraph(d: Float32Array, size: number): RawDetection[] {
  const out: RawDetection[] = [];
  for (let i = 0; i < d.length / 6; i++) {
    const [x1, y1, x2, y2, score, cls] = d.subarray(i * 6, i * 6 + 6);
    if (score >= MIN_SCORE) out.push({ classIndex: cls, score, x1: clip01(x1 / size), y1: clip01(y1 / size), x2: clip01(x2 / size), y2: clip01(y2 / size) });
  }
  return out;
}

t.test('detections at 512 equal the original graph\'s (TopK tail and all) on two photos', { skip: skipWithoutDetector }, async (t) => {
  await initBackend('wasm');
  const tfjs = await loadTfjsDetector(CENTERNET_JSON);
  const det = await Detector.load({ modelsDir: DETECTOR_MODELS, tensorSize: 512, inputSize: 512, minScore: MIN_SCORE });
  t.teardown(() => { tfjs.dispose(); return det.dispose(); });
  for (const photo of PHOTOS) {
    const img = await prepareImage(await readFile(`${COCO_MINI}/train2017/${photo}`), 512);
    // A score within 1e-4 of the cut could fall on either side of it in the two runtimes.
    const clear = (d: RawDetection) => Math.abs(d.score - MIN_SCORE) >= 1e-4;
    const ours = (await det.detect([img]))[0].filter(clear);
    const [graph] = tfjs.run(pixelsNhwc(img.tensor, 512), 512, ['tower_0/detections']);
    const want = fromGraph(graph.data, 512).filter(clear);
    t.ok(want.length >= 3, `${photo}: the graph finds ${want.length} objects ≥ ${MIN_SCORE}`);
    t.equal(ours.length, want.length, `${photo}: as many detections`);
    const same = (o: RawDetection, w: RawDetection) => o.classIndex === w.classIndex && Math.abs(o.score - w.score) <= 1e-4 &&
      Math.max(Math.abs(o.x1 - w.x1), Math.abs(o.y1 - w.y1), Math.abs(o.x2 - w.x2), Math.abs(o.y2 - w.y2)) <= 1e-3;
    const missing = want.filter((w) => !ours.some((o) => same(o, w)));
    t.same(missing, [], `${photo}: each of the graph's ${want.length} detections has ours with its class, score ± 1e-4 and corners ± 1e-3`);
  }
});

t.test('head maps at 448 and 384 equal the original graph\'s', { skip: skipWithoutDetector }, async (t) => {
  await initBackend('wasm');
  const graph = await readTfGraph(CENTERNET_JSON);
  for (const size of [448, 384]) {
    const session = await ort.InferenceSession.create(buildCenterNetOnnx(graph, 512, size, size));
    const tfjs = await loadTfjsDetector(CENTERNET_JSON, size);
    const img = await prepareImage(await readFile(`${COCO_MINI}/train2017/${PHOTOS[1]}`), size);
    const out = await session.run({ image: new ort.Tensor('float32', img.tensor, [1, 3, size, size]) });
    const [heat, wh] = tfjs.run(pixelsNhwc(img.tensor, size), size, ['tower_0/keypoints', 'tower_0/wh']);
    const cells = size / 4;
    t.same(out.heat.dims, [1, 80, cells, cells]);
    // ONNX maps are NCHW, the graph's NHWC.
    const maxDiff = (a: Float32Array, nhwc: Float32Array, channels: number) => {
      let m = 0;
      for (let c = 0; c < channels; c++) for (let i = 0; i < cells * cells; i++) m = Math.max(m, Math.abs(a[c * cells * cells + i] - nhwc[i * channels + c]));
      return m;
    };
    let peak = 0;
    for (const v of heat.data) peak = Math.max(peak, v);
    t.ok(peak > 0.3, `${size}: the heatmap has a confident peak (${peak.toFixed(3)})`);
    const [dHeat, dWh] = [maxDiff(out.heat.data as Float32Array, heat.data, 80), maxDiff(out.wh.data as Float32Array, wh.data, 4)];
    t.ok(dHeat <= 1e-4, `${size}: heatmaps within 1e-4 (${dHeat.toExponential(1)})`);
    // wh is in input pixels (up to ~size): 0.05 px is 1e-4 of the image.
    t.ok(dWh <= 0.05, `${size}: box sizes within 0.05 px (${dWh.toFixed(4)})`);
    tfjs.dispose();
    await session.release();
  }
});
