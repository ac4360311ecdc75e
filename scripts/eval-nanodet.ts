// NanoDet-m vs CenterNet on COCO-annotated photos, both as published (TF.js graphs on tfjs-wasm),
// to choose the detector (docs/detector.md):
//   npx tsx scripts/eval-nanodet.ts [--data ../shared/data/coco-mini-train] [--thresholds 0.2,0.3,0.4,0.5]
// NanoDet takes BGR (x − mean)/std at 416² NCHW (NanoDet's own preprocessing; 0–255 or 0–1 RGB
// gives nonsense on these photos); its heads are decoded by src/detector/nanodet.ts. CenterNet
// takes RGB 0–255 at 512² NHWC and its graph's own tail. Same squash (sharp, fill) for both.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { decodeNanoDet } from '../src/detector/nanodet.ts';
import { detectionQuality, type QualityItem } from '../src/detector/quality.ts';
import type { RawDetection } from '../src/detector/types.ts';
import { loadInstances } from '../src/eval/grounding/instances.ts';
import { initBackend } from '../src/runtime/backend.ts';
import { loadTfjsDetector } from '../test/helpers/tfjs-detector.ts';

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: resolve(process.env.SHARED_DIR ?? '../shared', 'data/coco-mini-train') },
    thresholds: { type: 'string', default: '0.2,0.3,0.4,0.5' },
    'models-dir': { type: 'string', default: process.env.MODELS_DIR ?? 'models' },
  },
});
await initBackend('wasm');
const truth = loadInstances(join(args.data, 'instances_train2017.json'));
const names = [...truth.keys()].sort();
const thresholds = args.thresholds.split(',').map(Number);
const BGR_MEAN = [103.53, 116.28, 123.675];
const BGR_STD = [57.375, 57.12, 58.395];

async function squash(name: string, size: number): Promise<Buffer> {
  return sharp(readFileSync(join(args.data, 'train2017', name))).removeAlpha().resize(size, size, { fit: 'fill' }).raw().toBuffer();
}

const nanodet = await loadTfjsDetector(join(args['models-dir'], 'detector/nanodet.json'));
const centernet = await loadTfjsDetector(join(args['models-dir'], 'detector/centernet.json'));
const results: Record<string, { dets: RawDetection[][]; ms: number }> = { 'NanoDet-m 416': { dets: [], ms: 0 }, 'CenterNet 512': { dets: [], ms: 0 } };
for (const name of names) {
  const rgb416 = await squash(name, 416);
  const bgr = new Float32Array(3 * 416 * 416); // NCHW, channel 0 = blue
  for (let i = 0; i < 416 * 416; i++) for (let c = 0; c < 3; c++) bgr[c * 416 * 416 + i] = (rgb416[i * 3 + 2 - c] - BGR_MEAN[c]) / BGR_STD[c];
  let t = performance.now();
  const outs = nanodet.runRaw(bgr, [1, 3, 416, 416], ['Identity:0', 'Identity_1:0', 'Identity_2:0', 'Identity_3:0', 'Identity_4:0', 'Identity_5:0']);
  const levels = [8, 16, 32].map((stride, k) => ({ scores: outs[k].data, reg: outs[k + 3].data, stride, width: 416 / stride }));
  results['NanoDet-m 416'].dets.push(decodeNanoDet(levels, { inputSize: 416, minScore: 0.1 }));
  results['NanoDet-m 416'].ms += performance.now() - t;

  const rgb512 = Float32Array.from(await squash(name, 512));
  t = performance.now();
  const [d] = centernet.run(rgb512, 512, ['tower_0/detections']);
  const dets: RawDetection[] = [];
  for (let i = 0; i < 100; i++) {
    const [x1, y1, x2, y2, score, cls] = d.data.subarray(i * 6, i * 6 + 6);
    const f = (v: number) => Math.min(1, Math.max(0, v / 512));
    if (score >= 0.1) dets.push({ classIndex: cls, score, x1: f(x1), y1: f(y1), x2: f(x2), y2: f(y2) });
  }
  results['CenterNet 512'].dets.push(dets);
  results['CenterNet 512'].ms += performance.now() - t;
}

console.log(`${names.length} photos; tfjs-wasm; image-level category precision / recall, box recall / box precision at IoU ≥ 0.5`);
console.log(`| detector | ms/image (tfjs-wasm) | ${thresholds.map((t) => `≥ ${t}: P / R | box R / P`).join(' | ')} |`);
console.log(`|---|---|${thresholds.map(() => '---|---').join('|')}|`);
for (const [label, { dets, ms }] of Object.entries(results)) {
  const items: QualityItem[] = names.map((n, i) => ({ truth: truth.get(n)!, detections: dets[i] }));
  const f = (v: number) => v.toFixed(3);
  const q = detectionQuality(items, thresholds);
  console.log(`| ${label} | ${(ms / names.length).toFixed(0)} | ${q.map((r) => `${f(r.precision)} / ${f(r.recall)} | ${f(r.boxRecall)} / ${f(r.boxPrecision)}`).join(' | ')} |`);
}
