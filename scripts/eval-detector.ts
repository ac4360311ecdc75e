// Detector quality on COCO-annotated photos at several input sizes, the numbers its default size
// is chosen by (docs/detector.md):
//   npx tsx scripts/eval-detector.ts [--data ../shared/data/coco-mini-train] [--sizes 512,448,384,320]
//     [--thresholds 0.2,0.3,0.4,0.5] [--models-dir models] [--detector centernet] [--source-side 224]
// Each photo is prepared as the service prepares it (448² squashed tensor) and the detector runs
// at each size from that tensor; "512 (sharp)" is the original pipeline's input, a 512² squash.
// --source-side N first squashes every photo to N×N (as Flickr8k's 224×224 copies are), to see
// what a small photo costs the detector.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { Detector } from '../src/detector/detector.ts';
import { detectionQuality, type QualityItem } from '../src/detector/quality.ts';
import { suppressOverlaps } from '../src/detector/nms.ts';
import type { RawDetection } from '../src/detector/types.ts';
import { prepareImage } from '../src/encoder/preprocess.ts';
import { loadInstances } from '../src/eval/grounding/instances.ts';

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: resolve(process.env.SHARED_DIR ?? '../shared', 'data/coco-mini-train') },
    sizes: { type: 'string', default: '512,448,384,320' },
    thresholds: { type: 'string', default: '0.2,0.3,0.4,0.5' },
    'models-dir': { type: 'string', default: process.env.MODELS_DIR ?? 'models' },
    detector: { type: 'string', default: 'centernet' },
    nms: { type: 'string', default: '' },
    'source-side': { type: 'string', default: '' },
  },
});
const truth = loadInstances(join(args.data, 'instances_train2017.json'));
const names = [...truth.keys()].sort();
const thresholds = args.thresholds.split(',').map(Number);
const side = Number(args['source-side']) || 0;
const originals = names.map((n) => readFileSync(join(args.data, 'train2017', n)));
const buffers = side ? await Promise.all(originals.map((b) => sharp(b).resize(side, side, { fit: 'fill' }).png().toBuffer())) : originals;

/** Detections for every photo from tensors of side tensorSize, the detector at inputSize; ms/image too. */
async function run(tensorSize: number, inputSize: number): Promise<{ dets: RawDetection[][]; ms: number }> {
  const det = await Detector.load({ modelsDir: args['models-dir'], name: args.detector, tensorSize, inputSize });
  const dets: RawDetection[][] = [];
  let ms = 0;
  for (const buf of buffers) {
    const img = await prepareImage(buf, tensorSize);
    const t = performance.now();
    dets.push((await det.detect([img]))[0]);
    ms += performance.now() - t;
  }
  await det.dispose();
  return { dets, ms: ms / buffers.length };
}

const configs = [
  { label: '512 (sharp)', tensorSize: 512, inputSize: 512 },
  ...args.sizes.split(',').map(Number).map((s) => ({ label: `${s} (from 448)`, tensorSize: 448, inputSize: s })),
];
console.log(`${names.length} photos of ${args.data}${side ? `, squashed to ${side}×${side} first` : ''}; image-level category precision / recall, box recall / box precision at IoU ≥ 0.5`);
console.log(`| input | ms/image | ${thresholds.map((t) => `≥ ${t}: P / R | box R / P`).join(' | ')} |`);
console.log(`|---|---|${thresholds.map(() => '---|---').join('|')}|`);
// --nms 0.5,0.7: each size also with class-agnostic suppression at those IoUs (src/detector/nms.ts).
const nmsIous = args.nms ? args.nms.split(',').map(Number) : [];
for (const c of configs) {
  const { dets, ms } = await run(c.tensorSize, c.inputSize);
  for (const nms of [undefined, ...nmsIous]) {
    const items: QualityItem[] = names.map((n, i) => ({ truth: truth.get(n)!, detections: nms === undefined ? dets[i] : suppressOverlaps(dets[i], nms) }));
    const q = detectionQuality(items, thresholds);
    const f = (v: number) => v.toFixed(3);
    const label = nms === undefined ? c.label : `${c.label}, NMS IoU > ${nms}`;
    console.log(`| ${label} | ${ms.toFixed(0)} | ${q.map((r) => `${f(r.precision)} / ${f(r.recall)} | ${f(r.boxRecall)} / ${f(r.boxPrecision)}`).join(' | ')} |`);
  }
}
