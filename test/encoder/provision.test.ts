import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { EncoderFileError } from '../../src/encoder/errors.ts';
import type { EncoderManifest } from '../../src/encoder/manifest.ts';
import { encoderManifest } from '../../src/encoder/manifest.ts';
import { ensureEncoderFile, sha256File } from '../../src/encoder/provision.ts';

const good = Buffer.from('pretend weights');
const manifest: EncoderManifest = {
  id: 'tiny', file: 'tiny.onnx', url: 'https://example.invalid/tiny.onnx',
  sha256: createHash('sha256').update(good).digest('hex'), bytes: good.length, license: 'Apache-2.0',
};
const serve = (body: Buffer, status = 200) => (async () => new Response(new Uint8Array(body), { status })) as unknown as typeof fetch;

t.test('manifest is the MobileNetV2 int8 file', async (t) => {
  t.equal(encoderManifest.sha256, 'cc028fe6cae7bc11a4ff53cfc9b79c920e8be65ce33a904ec3e2a8f66d77f95f');
  t.equal(encoderManifest.bytes, 3655033);
});

t.test('accepts a file with the right sha256', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'enc-'));
  await writeFile(join(dir, manifest.file), good);
  t.equal(await ensureEncoderFile(dir, { manifest }), join(dir, manifest.file));
  t.equal(await sha256File(join(dir, manifest.file)), manifest.sha256);
});

t.test('rejects a file with the wrong sha256', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'enc-'));
  await writeFile(join(dir, manifest.file), 'tampered');
  await t.rejects(ensureEncoderFile(dir, { manifest }), { name: 'EncoderFileError', message: /expected [0-9a-f]{64}/ });
});

t.test('missing file says where to put it and where to get it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'enc-'));
  const err = await ensureEncoderFile(dir, { manifest }).catch((e) => e);
  t.ok(err instanceof EncoderFileError);
  t.match(err.message, join(dir, manifest.file));
  t.match(err.message, manifest.url);
  t.match(err.message, 'MODELS_DIR');
});

t.test('downloads when allowed and verifies', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'enc-'));
  const path = await ensureEncoderFile(join(dir, 'sub'), { manifest, allowDownload: true, fetchImpl: serve(good) });
  t.same(await readFile(path), good);
});

t.test('a bad or failed download leaves nothing behind', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'enc-'));
  await t.rejects(ensureEncoderFile(dir, { manifest, allowDownload: true, fetchImpl: serve(Buffer.from('evil')) }), /expected/);
  await t.rejects(ensureEncoderFile(dir, { manifest, allowDownload: true, fetchImpl: serve(good, 404) }), /HTTP 404.*Put the file at/);
  t.same(await readdir(dir), []);
  t.notOk(existsSync(join(dir, manifest.file)));
});
