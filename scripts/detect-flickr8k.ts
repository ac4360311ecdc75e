// Makes the Flickr8k detection file with the project's own detector (resumable; keyed by the
// detector's sha256 and input size), and compares it with another such file:
//   npx tsx scripts/detect-flickr8k.ts [--images ../shared/data/flickr8k/images]
//     [--names-from ../shared/data/flickr8k/train.txt,../shared/data/flickr8k/dev.txt | all]
//     [--out cache/detections] [--size 384] [--tensor-size 448] [--models-dir models]
//     [--compare ../shared/data/flickr8k-detections/centernet-512.json] [--thresholds 0.2,0.3,0.4]
// Agreement at τ treats the other file's detections ≥ τ as the truth: category precision/recall
// per photo and box recall/precision at IoU ≥ 0.5 (src/detector/quality.ts), over the common photos.
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildDetectionsFile, DetectionsFileSchema, fromRow, type DetectionsFile } from '../src/detector/detections-file.ts';
import { Detector } from '../src/detector/detector.ts';
import { detectionQuality, type QualityItem } from '../src/detector/quality.ts';
import { COCO_CATEGORIES } from '../src/detector/types.ts';
import type { ImageObjects } from '../src/eval/grounding/instances.ts';

const shared = resolve(process.env.SHARED_DIR ?? '../shared');
const { values: args } = parseArgs({
  options: {
    images: { type: 'string', default: `${shared}/data/flickr8k/images` },
    'names-from': { type: 'string', default: `${shared}/data/flickr8k/train.txt,${shared}/data/flickr8k/dev.txt` },
    out: { type: 'string', default: 'cache/detections' },
    size: { type: 'string' },
    'tensor-size': { type: 'string', default: '448' },
    'models-dir': { type: 'string', default: process.env.MODELS_DIR ?? 'models' },
    compare: { type: 'string' },
    thresholds: { type: 'string', default: '0.2,0.3,0.4' },
  },
});

// --names-from all: every JPEG/PNG in --images (any photo folder, e.g. coco-mini-train/train2017).
const names = args['names-from'] === 'all'
  ? readdirSync(args.images).filter((n) => /\.(jpe?g|png)$/i.test(n)).sort()
  : args['names-from'].split(',').flatMap((f) => readFileSync(f, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean));
// --tensor-size 512 --size 512 is the shared file's own pipeline (each photo squashed to 512 by sharp).
const detector = await Detector.load({ modelsDir: args['models-dir'], inputSize: args.size ? Number(args.size) : undefined, tensorSize: Number(args['tensor-size']) });
const t0 = performance.now();
const path = await buildDetectionsFile({
  imagesDir: args.images,
  names,
  rootDir: args.out,
  detector,
  onProgress: (done, total) => {
    if (done % 250 === 0 || done === total) console.error(`${done}/${total} photos, ${((performance.now() - t0) / 1e3).toFixed(0)} s`);
  },
});
await detector.dispose();
console.log(`wrote ${path}`);

if (args.compare) {
  const read = (p: string): DetectionsFile => DetectionsFileSchema.parse(JSON.parse(readFileSync(p, 'utf8')));
  const ours = read(path);
  const theirs = read(args.compare);
  const common = names.filter((n) => n in theirs.images);
  console.log(`\nagreement with ${args.compare} on ${common.length} photos (theirs ≥ τ as the truth)`);
  console.log('| τ | category P / R | box R / P (IoU ≥ 0.5) | detections ≥ τ per photo: ours / theirs |');
  console.log('|---|---|---|---|');
  for (const tau of args.thresholds.split(',').map(Number)) {
    let nOurs = 0, nTheirs = 0;
    const items: QualityItem[] = common.map((n) => {
      const boxes = new Map<string, [number, number, number, number][]>();
      for (const d of theirs.images[n].map(fromRow).filter((d) => d.score >= tau)) {
        const c = COCO_CATEGORIES[d.classIndex];
        boxes.set(c, [...(boxes.get(c) ?? []), [d.x1, d.y1, d.x2 - d.x1, d.y2 - d.y1]]);
        nTheirs++;
      }
      const detections = ours.images[n].map(fromRow);
      nOurs += detections.filter((d) => d.score >= tau).length;
      const truth: ImageObjects = { width: 1, height: 1, boxes };
      return { truth, detections };
    });
    const [q] = detectionQuality(items, [tau]);
    const f = (v: number) => v.toFixed(3);
    console.log(`| ${tau} | ${f(q.precision)} / ${f(q.recall)} | ${f(q.boxRecall)} / ${f(q.boxPrecision)} | ${(nOurs / common.length).toFixed(2)} / ${(nTheirs / common.length).toFixed(2)} |`);
  }
}
