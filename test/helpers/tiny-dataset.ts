import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeHalf } from '../../src/util/float16.ts';
import { mulberry32 } from '../../src/util/rng.ts';

/**
 * A generated training set on disk in the real formats: a float16 feature cache
 * (index.json + features.f16), a Flickr8k-style captions file and split files.
 */
export function tinyDataset(captions: Record<string, string[]>, opts: { grid?: { h: number; w: number }; dim?: number; seed?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'sat-data-'));
  const grid = opts.grid ?? { h: 2, w: 2 };
  const dim = opts.dim ?? 8;
  const names = Object.keys(captions);
  const rng = mulberry32(opts.seed ?? 1);
  const feats = Float32Array.from({ length: names.length * grid.h * grid.w * dim }, () => rng() * 3);
  const cache = join(dir, 'cache');
  mkdirSync(cache);
  writeFileSync(join(cache, 'features.f16'), encodeHalf(feats));
  writeFileSync(join(cache, 'index.json'), JSON.stringify({ version: 1, encoderId: 'test', sha256: 'test', inputSize: 224, grid, dim, dtype: 'float16', names }));
  const lines = names.flatMap((n) => captions[n].map((c, i) => `${n}#${i}\t${c}`));
  writeFileSync(join(dir, 'captions.txt'), lines.join('\n') + '\n');
  writeFileSync(join(dir, 'split.txt'), names.join('\n') + '\n');
  return { dir, cache, captions: join(dir, 'captions.txt'), split: join(dir, 'split.txt') };
}
