// Precomputes encoder features for training images into the float16 feature cache.
// Usage: npx tsx scripts/extract-features.ts --images DIR --names-from a.txt,b.txt --cache DIR --size 224
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { buildFeatureCache } from '../src/encoder/cache.ts';
import { Encoder, type InputSize } from '../src/encoder/encoder.ts';

const { values: args } = parseArgs({
  options: {
    images: { type: 'string' },
    'names-from': { type: 'string' },
    cache: { type: 'string', default: 'cache/features' },
    size: { type: 'string', default: '224' },
    'models-dir': { type: 'string', default: process.env.MODELS_DIR ?? 'models' },
    'batch-size': { type: 'string', default: '16' },
    threads: { type: 'string', default: '1' },
    download: { type: 'boolean', default: false },
  },
});
if (!args.images || !args['names-from']) {
  console.error('usage: extract-features --images DIR --names-from a.txt[,b.txt] [--cache DIR] [--size 224|448] [--models-dir DIR]');
  process.exit(2);
}
const size = Number(args.size);
if (size !== 224 && size !== 448) throw new Error('--size must be 224 or 448');

const names = args['names-from'].split(',').flatMap((f) =>
  readFileSync(f, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean));

const encoder = await Encoder.load({
  modelsDir: args['models-dir'], inputSize: size as InputSize,
  allowDownload: args.download, intraOpThreads: Number(args.threads),
});
const path = await buildFeatureCache({
  imagesDir: args.images, names, cacheDir: args.cache, encoder, batchSize: Number(args['batch-size']),
  onProgress: ({ done, total, encoded, elapsedMs }) => {
    const rate = encoded / (elapsedMs / 1000);
    const eta = rate > 0 ? Math.round((total - done) / rate) : 0;
    process.stderr.write(`\r${done}/${total} images  ${rate.toFixed(1)} img/s  ETA ${eta}s   `);
  },
});
process.stderr.write('\n');
await encoder.dispose();
console.log(path);
