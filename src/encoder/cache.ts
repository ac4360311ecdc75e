// On-disk float16 feature cache for training: one row per image, appended in chunks so a
// killed run resumes where it stopped. The directory name carries the encoder sha256 and input
// size, so changing either starts a fresh cache instead of mixing incompatible features.
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Encoder } from './encoder.ts';
import { decodeHalf, encodeHalf } from '../util/float16.ts';
import { prepareImage } from './preprocess.ts';

const VERSION = 1;
const DATA_FILE = 'features.f16';
const INDEX_FILE = 'index.json';

/** index.json: what encoded the rows of DATA_FILE, and their order. */
export const CacheIndexSchema = z.object({
  version: z.number().int(),
  encoderId: z.string(),
  sha256: z.string(),
  inputSize: z.number().int(),
  grid: z.object({ h: z.number().int(), w: z.number().int() }),
  dim: z.number().int(),
  dtype: z.literal('float16'),
  names: z.array(z.string()).describe('row order of DATA_FILE; each row is [h*w, dim] region-major'),
});
export type CacheIndex = z.infer<typeof CacheIndexSchema>;

export interface FeatureCache {
  path: string;
  names: string[];
  index: Map<string, number>;
  grid: { h: number; w: number };
  dim: number;
  sha256: string;
  inputSize: number;
  data: Uint16Array;
}

export interface Progress {
  done: number;
  total: number;
  /** Images encoded by this run (excludes rows found from an earlier run). */
  encoded: number;
  elapsedMs: number;
}

export interface BuildOptions {
  imagesDir: string;
  names: string[];
  cacheDir: string;
  encoder: Pick<Encoder, 'id' | 'sha256' | 'inputSize' | 'grid' | 'featureDim' | 'encode'>;
  batchSize?: number;
  onProgress?: (p: Progress) => void;
}

export function cacheKey(e: Pick<Encoder, 'id' | 'sha256' | 'inputSize'>): string {
  return `${e.id}-${e.sha256.slice(0, 16)}-${e.inputSize}`;
}

async function readIndex(dir: string): Promise<CacheIndex | undefined> {
  try {
    const parsed = CacheIndexSchema.safeParse(JSON.parse(await readFile(join(dir, INDEX_FILE), 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Atomic replace: the index never names rows whose bytes are not on disk yet. */
async function writeIndex(dir: string, index: CacheIndex): Promise<void> {
  const tmp = join(dir, `${INDEX_FILE}.tmp`);
  await writeFile(tmp, JSON.stringify(index));
  await rename(tmp, join(dir, INDEX_FILE));
}

function matches(a: CacheIndex, b: CacheIndex): boolean {
  return a.version === b.version && a.sha256 === b.sha256 && a.inputSize === b.inputSize &&
    a.dim === b.dim && a.grid.h === b.grid.h && a.grid.w === b.grid.w;
}

/** Encodes every name not yet cached; returns the cache directory for loadFeatureCache. */
export async function buildFeatureCache(opts: BuildOptions): Promise<string> {
  const { encoder: e, batchSize = 16 } = opts;
  const dir = join(opts.cacheDir, cacheKey(e));
  await mkdir(dir, { recursive: true });
  const fresh: CacheIndex = {
    version: VERSION, encoderId: e.id, sha256: e.sha256, inputSize: e.inputSize,
    grid: e.grid, dim: e.featureDim, dtype: 'float16', names: [],
  };
  const rowValues = e.grid.h * e.grid.w * e.featureDim;
  const rowBytes = rowValues * 2;

  const previous = await readIndex(dir);
  const index = previous && matches(previous, fresh) ? previous : fresh;
  if (index === fresh) await rm(join(dir, DATA_FILE), { force: true });
  const file = await open(join(dir, DATA_FILE), existsSync(join(dir, DATA_FILE)) ? 'r+' : 'w+');
  try {
    // Bytes past the last indexed row are from a chunk that was killed mid-write.
    const { size } = await file.stat();
    if (size < index.names.length * rowBytes) index.names = [];
    await file.truncate(index.names.length * rowBytes);
    await writeIndex(dir, index);

    const have = new Set(index.names);
    const todo = [...new Set(opts.names)].filter((n) => !have.has(n));
    const total = have.size + todo.length;
    const start = Date.now();
    let encoded = 0;
    const prepare = (names: string[]) =>
      Promise.all(names.map(async (name) => {
        try {
          return (await prepareImage(await readFile(join(opts.imagesDir, name)), e.inputSize)).tensor;
        } catch (err) {
          throw new Error(`feature cache: cannot read ${name}: ${(err as Error).message}`);
        }
      }));

    // Decode the next batch while the current one is being encoded.
    let next = todo.length ? prepare(todo.slice(0, batchSize)) : undefined;
    const half = new Uint16Array(batchSize * rowValues);
    for (let i = 0; i < todo.length; i += batchSize) {
      const names = todo.slice(i, i + batchSize);
      const tensors = await next!;
      next = i + batchSize < todo.length ? prepare(todo.slice(i + batchSize, i + 2 * batchSize)) : undefined;
      next?.catch(() => {}); // surfaced when awaited; avoid an unhandled rejection meanwhile
      const { features } = await e.encode(tensors);
      const out = encodeHalf(features, half.subarray(0, features.length));
      await file.write(new Uint8Array(out.buffer, 0, out.length * 2), 0, out.length * 2, index.names.length * rowBytes);
      await file.datasync();
      index.names.push(...names);
      await writeIndex(dir, index);
      encoded += names.length;
      opts.onProgress?.({ done: index.names.length, total, encoded, elapsedMs: Date.now() - start });
    }
  } finally {
    await file.close();
  }
  return dir;
}

export async function loadFeatureCache(path: string): Promise<FeatureCache> {
  const index = await readIndex(path);
  if (!index || index.version !== VERSION) throw new Error(`no feature cache index at ${path}`);
  const values = index.names.length * index.grid.h * index.grid.w * index.dim;
  const data = new Uint16Array(values);
  readRows(path, new Uint8Array(data.buffer), `feature cache ${path}: data file is truncated`);
  return {
    path, names: index.names, index: new Map(index.names.map((n, i) => [n, i])),
    grid: index.grid, dim: index.dim, sha256: index.sha256, inputSize: index.inputSize, data,
  };
}

/** Fills `into` from DATA_FILE in 64 MB reads (a 14×14 cache is over readFile's 2 GiB limit). */
function readRows(dir: string, into: Uint8Array, truncated: string): void {
  const fd = openSync(join(dir, DATA_FILE), 'r');
  try {
    for (let off = 0; off < into.length; ) {
      const n = readSync(fd, into, off, Math.min(1 << 26, into.length - off), off);
      if (n <= 0) throw new Error(truncated);
      off += n;
    }
  } finally {
    closeSync(fd);
  }
}

/** The cache read into shared memory (training: every worker thread reads it without a copy). */
export function loadSharedFeatureCache(dir: string): { index: CacheIndex; rows: Map<string, number>; shared: SharedArrayBuffer } {
  const index = CacheIndexSchema.parse(JSON.parse(readFileSync(join(dir, INDEX_FILE), 'utf8')));
  const bytes = index.names.length * index.grid.h * index.grid.w * index.dim * 2;
  const shared = new SharedArrayBuffer(bytes);
  readRows(dir, new Uint8Array(shared), `${dir}/${DATA_FILE} is shorter than its index says`);
  return { index, rows: new Map(index.names.map((n, i) => [n, i])), shared };
}

/** Float32 features [h*w, dim] (region-major) of one cached row. */
export function rowFeatures(cache: FeatureCache, row: number, out?: Float32Array): Float32Array {
  const n = cache.grid.h * cache.grid.w * cache.dim;
  if (row < 0 || row >= cache.names.length) throw new RangeError(`feature cache: no row ${row}`);
  return decodeHalf(cache.data.subarray(row * n, (row + 1) * n), out);
}
