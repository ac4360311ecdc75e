import { appendFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import t from 'tap';
import { buildFeatureCache, loadFeatureCache, rowFeatures, type BuildOptions } from '../../src/encoder/cache.ts';

const GRID = { h: 2, w: 2 };
const DIM = 3;

/** Fake encoder: features of an image are its mean tensor value plus region/channel offsets. */
function fakeEncoder(sha256 = 'a'.repeat(64)) {
  const calls: number[] = [];
  const encoder: BuildOptions['encoder'] = {
    id: 'fake', sha256, inputSize: 224, grid: GRID, featureDim: DIM,
    async encode(tensors) {
      calls.push(tensors.length);
      const features = new Float32Array(tensors.length * 4 * DIM);
      tensors.forEach((x, n) => {
        const mean = x.reduce((s, v) => s + v, 0) / x.length;
        for (let i = 0; i < 4 * DIM; i++) features[n * 4 * DIM + i] = mean + i / 8;
      });
      return { features, logits: new Float32Array(tensors.length * 1000) };
    },
  };
  return { encoder, calls };
}

async function images(count: number): Promise<{ dir: string; names: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'imgs-'));
  const names = Array.from({ length: count }, (_, i) => `img${i}.png`);
  await Promise.all(names.map((name, i) =>
    sharp({ create: { width: 16, height: 16, channels: 3, background: { r: i * 20, g: 0, b: 0 } } }).png().toFile(join(dir, name))));
  return { dir, names };
}

t.test('builds, loads and reads rows back', async (t) => {
  const { dir, names } = await images(5);
  const cacheDir = await mkdtemp(join(tmpdir(), 'cache-'));
  const { encoder } = fakeEncoder();
  const progress: number[] = [];
  const path = await buildFeatureCache({ imagesDir: dir, names, cacheDir, encoder, batchSize: 2, onProgress: (p) => progress.push(p.done) });
  t.match(path, /fake-aaaaaaaaaaaaaaaa-224$/, 'cache dir keyed by encoder sha256 and size');
  t.same(progress, [2, 4, 5]);
  const cache = await loadFeatureCache(path);
  t.same(cache.names, names);
  t.same(cache.grid, GRID);
  t.equal(cache.dim, DIM);
  const row3 = rowFeatures(cache, cache.index.get('img3.png')!);
  t.equal(row3.length, 4 * DIM);
  t.ok(Math.abs(row3[5] - row3[0] - 5 / 8) < 1e-3, 'region-major values survive float16');
  t.not(rowFeatures(cache, 0)[0], rowFeatures(cache, 4)[0], 'rows differ per image');
});

t.test('resumes after a kill: only missing names are encoded, partial bytes dropped', async (t) => {
  const { dir, names } = await images(7);
  const cacheDir = await mkdtemp(join(tmpdir(), 'cache-'));
  const first = fakeEncoder();
  const path = await buildFeatureCache({ imagesDir: dir, names: names.slice(0, 3), cacheDir, encoder: first.encoder, batchSize: 2 });
  const before = await loadFeatureCache(path);
  const row0 = rowFeatures(before, 0);
  // Simulate a kill mid-chunk: bytes written but the index never updated.
  await appendFile(join(path, 'features.f16'), Buffer.alloc(7, 0xff));

  const second = fakeEncoder();
  await buildFeatureCache({ imagesDir: dir, names, cacheDir, encoder: second.encoder, batchSize: 2 });
  t.same(second.calls, [2, 2], 'encoded the 4 missing images only');
  const after = await loadFeatureCache(path);
  t.same(after.names, names);
  t.same(rowFeatures(after, 0), row0, 'earlier rows untouched');
  t.equal((await readFile(join(path, 'features.f16'))).length, 7 * 4 * DIM * 2);

  const third = fakeEncoder();
  await buildFeatureCache({ imagesDir: dir, names, cacheDir, encoder: third.encoder });
  t.same(third.calls, [], 'complete cache: nothing to do');
});

t.test('a different encoder sha256 gets a fresh cache; a stale index is rebuilt', async (t) => {
  const { dir, names } = await images(2);
  const cacheDir = await mkdtemp(join(tmpdir(), 'cache-'));
  const a = await buildFeatureCache({ imagesDir: dir, names, cacheDir, encoder: fakeEncoder('a'.repeat(64)).encoder });
  const b = fakeEncoder('b'.repeat(64));
  const pathB = await buildFeatureCache({ imagesDir: dir, names, cacheDir, encoder: b.encoder });
  t.not(pathB, a);
  t.same(b.calls, [2]);

  const index = JSON.parse(await readFile(join(a, 'index.json'), 'utf8'));
  await writeFile(join(a, 'index.json'), JSON.stringify({ ...index, dim: 99 }));
  const again = fakeEncoder('a'.repeat(64));
  await buildFeatureCache({ imagesDir: dir, names, cacheDir, encoder: again.encoder });
  t.same(again.calls, [2], 'mismatched index means re-encode everything');
});

t.test('an unreadable image names the file', async (t) => {
  const { dir, names } = await images(1);
  await writeFile(join(dir, 'bad.jpg'), 'not an image');
  const cacheDir = await mkdtemp(join(tmpdir(), 'cache-'));
  await t.rejects(buildFeatureCache({ imagesDir: dir, names: [...names, 'bad.jpg'], cacheDir, encoder: fakeEncoder().encoder }), /bad\.jpg/);
});
