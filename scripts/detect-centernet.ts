// Runs the CenterNet COCO detector (TF.js graph model, ../shared/models/detector/centernet.*) over a
// folder of photos and writes their detections in the layout of
// ../shared/data/flickr8k-detections/centernet-512.json: per photo [x1, y1, x2, y2, score, class],
// corners as fractions of the width/height, class an index into COCO_CATEGORIES, score ≥ --min.
// An experiment tool until the pipeline's own detector stage is wired; output goes to scratch.
//
//   npx tsx scripts/detect-centernet.ts --images ../shared/data/coco-mini-train/train2017 \
//       --out /work/scratch/coco-mini-train-centernet.json [--model ../shared/models/detector/centernet.json]
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import '@tensorflow/tfjs-backend-wasm';
import * as tfc from '@tensorflow/tfjs-converter';
import * as tf from '../src/runtime/tf.ts';
import { COCO_CATEGORIES } from '../src/detector/types.ts';

const SIZE = 512; // the graph's input: [1, 512, 512, 3] RGB 0–255

const { values } = parseArgs({
  options: {
    images: { type: 'string' },
    out: { type: 'string' },
    model: { type: 'string', default: resolve(process.env.SHARED_DIR ?? '../shared', 'models/detector/centernet.json') },
    min: { type: 'string', default: '0.1' },
  },
});
if (!values.images || !values.out) throw new Error('usage: --images DIR --out FILE [--model centernet.json] [--min 0.1]');
const minScore = Number(values.min);

/** The graph model from its files (no fetch in Node without tfjs-node). */
async function loadGraph(jsonPath: string): Promise<tfc.GraphModel> {
  const json = JSON.parse(readFileSync(jsonPath, 'utf8'));
  const manifest = json.weightsManifest as { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  const buffers = manifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dirname(jsonPath), p))));
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  const handler: tf.io.IOHandler = {
    load: async () => ({ modelTopology: json.modelTopology, format: json.format, generatedBy: json.generatedBy, convertedBy: json.convertedBy, signature: json.signature, weightSpecs: manifest.flatMap((g) => g.weights), weightData }),
  };
  return tfc.loadGraphModel(handler);
}

await tf.setBackend('wasm');
await tf.ready();
const model = await loadGraph(values.model!);
const names = readdirSync(values.images).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort();
const images: Record<string, number[][]> = {};
const t0 = performance.now();
for (const name of names) {
  // Squash the whole photo to 512×512 (no crop), as for the shared Flickr8k file.
  const rgb = await sharp(join(values.images, name)).removeAlpha().resize(SIZE, SIZE, { fit: 'fill' }).raw().toBuffer();
  const input = tf.tensor4d(Float32Array.from(rgb), [1, SIZE, SIZE, 3]);
  const out = model.execute(input, 'tower_0/detections') as tf.Tensor;
  const rows = (await out.array()) as number[][][];
  input.dispose();
  out.dispose();
  const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
  images[name] = rows[0]
    .filter((d) => d[4] >= minScore)
    .map(([x1, y1, x2, y2, score, cls]) => [r4(Math.max(0, x1 / SIZE)), r4(Math.max(0, y1 / SIZE)), r4(Math.min(1, x2 / SIZE)), r4(Math.min(1, y2 / SIZE)), r4(score), cls]);
}
const ms = (performance.now() - t0) / names.length;
const description = `CenterNet-MobileNetV3 (${values.model}) run with @tensorflow/tfjs-converter on the wasm backend over ${names.length} photos of ${values.images}, each squashed to 512x512 RGB float 0-255 (scripts/detect-centernet.ts). Per photo: detections with score >= ${minScore} as [x1, y1, x2, y2, score, class], corners as fractions of the image width/height (0-1), class an index into categories (COCO order).`;
writeFileSync(values.out, JSON.stringify({ description, categories: COCO_CATEGORIES, images }) + '\n');
console.log(`${names.length} photos, ${ms.toFixed(0)} ms each → ${values.out}`);
