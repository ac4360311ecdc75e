// Real end-to-end runs of `caption` in-process: real encoder (from ../shared/models), the
// untrained fallback decoder, real files on disk.
import t, { type Test } from 'tap';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import sharp from 'sharp';
import { runCaption, type CaptionIo } from '../../src/cli/caption.ts';
import { MODEL_FILE, skipWithoutModel } from '../helpers/shared-dir.ts';

/** A Writable that keeps what was written. */
function collector(): Writable & { text: () => string } {
  const chunks: Buffer[] = [];
  const w = new Writable({ write(chunk, _enc, cb) { chunks.push(Buffer.from(chunk)); cb(); } });
  return Object.assign(w, { text: () => Buffer.concat(chunks).toString('utf8') });
}

/** <root>/models holding a symlink to the shared encoder file (call after t.testdir). */
async function modelsDir(root: string): Promise<string> {
  const dir = join(root, 'models');
  await mkdir(dir, { recursive: true });
  await symlink(MODEL_FILE, join(dir, 'mobilenetv2-12-int8.onnx'));
  return dir;
}

async function gradient(w: number, h: number): Promise<Buffer> {
  const raw = Buffer.alloc(w * h * 3);
  for (let i = 0; i < w * h; i++) { const x = i % w, y = Math.floor(i / w); raw[i * 3] = x * 2; raw[i * 3 + 1] = y * 2; raw[i * 3 + 2] = (x + y) & 255; }
  return sharp(raw, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
}

/** photos/{a.jpg, b.png, nested/c.jpeg, broken.jpg (corrupt), notes.txt} */
async function photoTree(t: Test, corrupt = true): Promise<string> {
  const root = t.testdir({ photos: { nested: {} } });
  const p = join(root, 'photos');
  await writeFile(join(p, 'a.jpg'), await sharp(await gradient(120, 90)).jpeg().toBuffer());
  await writeFile(join(p, 'b.png'), await gradient(64, 100));
  await writeFile(join(p, 'nested', 'c.jpeg'), await sharp(await gradient(80, 80)).flop().jpeg().toBuffer());
  await writeFile(join(p, 'notes.txt'), 'not an image');
  if (corrupt) await writeFile(join(p, 'broken.jpg'), Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('garbage'.repeat(20))]));
  return root;
}

const FAST = { beamSize: 2, maxLength: 4, batch: 2 }; // the training job owns the CPU

function io(): CaptionIo & { out: ReturnType<typeof collector>; err: ReturnType<typeof collector> } {
  const out = collector(), err = collector();
  return { stdout: out, stderr: err, env: {}, out, err };
}

t.test('a folder with a corrupt file: JSONL per image, error line, overlays, exit 1', { skip: skipWithoutModel }, async (t) => {
  const root = await photoTree(t);
  const models = await modelsDir(root);
  const outDir = join(root, 'out');
  const s = io();
  const code = await runCaption([join(root, 'photos')], { ...FAST, out: outDir, overlays: true, modelsDir: models }, s);
  t.equal(code, 1, 'exit 1 because of the corrupt file');
  t.equal(s.out.text(), '', 'nothing on stdout when --out is given');

  const lines = (await readFile(join(outDir, 'captions.jsonl'), 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l));
  t.same(lines.map((l) => l.path), ['a.jpg', 'b.png', 'broken.jpg', 'nested/c.jpeg'].map((f) => join(root, 'photos', f)), 'one line per image file, sorted, .txt ignored');
  const broken = lines[2];
  t.match(broken, { error: /decode/i, errorType: 'UnsupportedImageError' });
  t.notOk('caption' in broken);
  for (const l of [lines[0], lines[1], lines[3]]) {
    t.type(l.caption, 'string');
    t.type(l.logprob, 'number');
    t.ok(Array.isArray(l.alternatives) && l.alternatives.length >= 1 && l.alternatives.length <= 2, 'alternatives ≤ beam size');
    t.ok(Array.isArray(l.tokens));
    t.ok(l.tokens.every((tok: Record<string, unknown>) => !('attention' in tok)), 'no maps without --maps');
    t.match(l.timings, { prepareMs: Number, encodeMs: Number, decodeMs: Number, batch: Number });
    t.equal(l.model.trained, false);
    const png = join(outDir, l.overlay);
    t.ok(existsSync(png), `overlay ${l.overlay}`);
    const meta = await sharp(png).metadata();
    t.equal(meta.format, 'png');
    t.ok(meta.width! > 0 && meta.height! > 0);
  }
  t.same(lines[0].image, { width: 120, height: 90, format: 'jpeg' });
  t.equal(lines[3].overlay, 'overlays/nested/c.jpeg.png', 'overlays mirror the relative path');
  t.notOk(existsSync(join(outDir, 'overlays', 'broken.jpg.png')));

  const err = s.err.text();
  t.match(err, /captioned 3 of 4 images, 1 failed/);
  t.match(err, /images\/s/);
  t.match(err, /failed:\n\s+\S*broken\.jpg: .*decode/i, 'failures listed with reasons');
});

t.test('clean folder to stdout: exit 0, maps with --maps, progress only on stderr', { skip: skipWithoutModel }, async (t) => {
  const root = await photoTree(t, false);
  const models = await modelsDir(root);
  const s = io();
  const code = await runCaption([join(root, 'photos', 'nested'), join(root, 'photos', 'b.png')], { maxLength: FAST.maxLength, batch: FAST.batch, sample: true, seed: 1, temperature: 5, maps: true, modelsDir: models }, s); // no beamSize: it does not apply to sampling
  t.equal(code, 0);
  const lines = s.out.text().trimEnd().split('\n').map((l) => JSON.parse(l));
  t.same(lines.map((l) => l.path), [join(root, 'photos', 'nested', 'c.jpeg'), join(root, 'photos', 'b.png')]);
  for (const l of lines) {
    t.notOk('error' in l);
    for (const tok of l.tokens) t.ok(Array.isArray(tok.attention) && tok.attention.length === 7, 'map per token');
  }
  t.match(s.err.text(), /captioned 2 of 2 images, 0 failed/);
});

t.test('MODELS_DIR from the environment; --no-recursive', { skip: skipWithoutModel }, async (t) => {
  const root = await photoTree(t, false);
  const models = await modelsDir(root);
  const s = io();
  s.env = { MODELS_DIR: models };
  const code = await runCaption([join(root, 'photos')], { ...FAST, recursive: false }, s);
  t.equal(code, 0);
  t.equal(s.out.text().trimEnd().split('\n').length, 2, 'a.jpg and b.png only');
});

t.test('usage errors exit 2 with a clear message', async (t) => {
  const root = t.testdir({ 'x.png': 'x' });
  const cases: [string[], Record<string, string | number | boolean>, RegExp][] = [
    [[], {}, /no PATH given/],
    [[join(root, 'missing')], {}, /path not found: .*missing/],
    [[root], { beamSize: 99 }, /--beam-size/],
    [[root], { bogus: 1 }, /unknown option: --bogus/],
    [[root], { overlays: true }, /--overlays needs --out/],
    [[root], { temperature: 2 }, /conflicting options: temperature applies to sampling/],
  ];
  for (const [paths, opts, re] of cases) {
    const s = io();
    t.equal(await runCaption(paths, opts, s), 2, `${re}`);
    t.match(s.err.text(), re);
    t.match(s.err.text(), /usage: show-attend-tell caption PATH|show-attend-tell caption PATH\.\.\. \[options\]/, 'usage shown');
  }
});

t.test('--help prints usage and exits 0', async (t) => {
  const s = io();
  t.equal(await runCaption([], { help: true }, s), 0);
  t.match(s.out.text(), /--overlays/);
});

t.test('a boolean flag does not swallow the PATH after it', async (t) => {
  const root = t.testdir({});
  const s = io();
  // `--overlays <missing path>`: the path must still be checked (and reported) as a PATH.
  t.equal(await runCaption([], { overlays: join(root, 'nope'), out: join(root, 'o') }, s), 2);
  t.match(s.err.text(), /path not found/);
});

t.test('--attention hard without a hard decoder: exit 1 before captioning', { skip: skipWithoutModel }, async (t) => {
  const root = await photoTree(t, false);
  const models = await modelsDir(root);
  const s = io();
  t.equal(await runCaption([join(root, 'photos')], { attention: 'hard', modelsDir: models }, s), 1);
  t.match(s.err.text(), /no hard-attention decoder/);
  t.equal(s.out.text(), '');
});

t.test('missing encoder: exit 1 with the reason', async (t) => {
  const root = t.testdir({ 'x.png': 'x', models: {} });
  const s = io();
  t.equal(await runCaption([join(root, 'x.png')], { modelsDir: join(root, 'models') }, s), 1);
  t.match(s.err.text(), /cannot load the models.*Encoder file not found/s);
});


