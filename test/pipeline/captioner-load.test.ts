// Captioner.load refuses a models folder whose two decoders want different encoder input sizes:
// one encoder serves both, so one of them would silently get features on the wrong grid. It
// builds the default decoder at once and the other on its first request.
import t from 'tap';
import sharp from 'sharp';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Captioner } from '../../src/pipeline/captioner.ts';
import { saveDecoder } from '../../src/model/io.ts';
import { initParams } from '../../src/model/params.ts';
import { mulberry32 } from '../../src/util/rng.ts';
import { tinyConfig, tinyVocab } from '../helpers/tiny.ts';
import { makeModelsDir, skipWithoutModel } from '../helpers/server.ts';
import { parsePlan } from '../../src/service/options.ts';

t.test('soft at 224 and hard at 448 in one MODELS_DIR: a clear error, before the encoder loads', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sat-sizes-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const [kind, inputSize] of [['soft', 224], ['hard', 448]] as const) {
    const config = tinyConfig({ attention: kind, grid: inputSize === 224 ? { h: 7, w: 7 } : { h: 14, w: 14 }, encoder: { id: 'test', sha256: 'test', inputSize } });
    await saveDecoder(join(dir, kind), { config, vocab: tinyVocab(), params: initParams(config, mulberry32(1)) });
  }
  await t.rejects(Captioner.load({ modelsDir: dir, allowDownload: false, log: () => {} }), /encoder input 448 differs from the other decoder's 224/);
});

t.test('the default decoder is built at load, the other on its first request, with the same answer as one built at once', { skip: skipWithoutModel }, async (t) => {
  const { dir, cleanup } = makeModelsDir();
  t.teardown(cleanup);
  const c = await Captioner.load({ modelsDir: dir, allowDownload: false });
  t.teardown(() => c.dispose());
  t.equal(c.decoders.get('soft')!.isBuilt, true, 'soft (the default) is built at load');
  t.equal(c.decoders.get('hard')!.isBuilt, false, 'hard waits for its first request');
  t.ok(c.info().decoders.some((d) => d.attention === 'hard'), '… and /v1/models lists it all the same');
  const image = await c.prepare(await sharp({ create: { width: 96, height: 64, channels: 3, background: { r: 40, g: 120, b: 200 } } }).png().toBuffer());
  const plan = parsePlan({ attention: 'hard', beamSize: 3, grounding: false });
  const [first] = await c.caption([image], plan);
  t.equal(c.decoders.get('hard')!.isBuilt, true, 'built by the first hard request');
  const [again] = await c.caption([image], plan);
  t.equal(again.result.caption, first.result.caption, 'the same caption from the built decoder');
  t.ok(first.result.caption.length > 0);
  // The same models loaded as hard only: hard is then the default, built at once, and answers alike.
  const only = mkdtempSync(join(tmpdir(), 'sat-hard-'));
  t.teardown(() => rmSync(only, { recursive: true, force: true }));
  symlinkSync(join(dir, 'mobilenetv2-12-int8.onnx'), join(only, 'mobilenetv2-12-int8.onnx'));
  symlinkSync(join(dir, 'hard'), join(only, 'hard'));
  const h = await Captioner.load({ modelsDir: only, allowDownload: false });
  t.teardown(() => h.dispose());
  t.equal(h.decoders.get('hard')!.isBuilt, true, 'the only decoder is the default: built at load');
  t.equal((await h.caption([image], plan))[0].result.caption, first.result.caption, 'a lazily built decoder answers as an eager one');
});

t.test('a second decoder whose files changed after start is refused with a clear error, not served', { skip: skipWithoutModel }, async (t) => {
  const { dir, cleanup } = makeModelsDir();
  t.teardown(cleanup);
  const copy = mkdtempSync(join(tmpdir(), 'sat-changed-'));
  t.teardown(() => rmSync(copy, { recursive: true, force: true }));
  symlinkSync(join(dir, 'mobilenetv2-12-int8.onnx'), join(copy, 'mobilenetv2-12-int8.onnx'));
  symlinkSync(join(dir, 'soft'), join(copy, 'soft'));
  cpSync(join(dir, 'hard'), join(copy, 'hard'), { recursive: true, dereference: true });
  const c = await Captioner.load({ modelsDir: copy, allowDownload: false });
  t.teardown(() => c.dispose());
  const config = JSON.parse(readFileSync(join(copy, 'hard', 'config.json'), 'utf8'));
  writeFileSync(join(copy, 'hard', 'config.json'), JSON.stringify({ ...config, maxLength: config.maxLength + 1 }));
  const image = await c.prepare(await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 200, g: 30, b: 30 } } }).png().toBuffer());
  await t.rejects(c.caption([image], parsePlan({ attention: 'hard', grounding: false })), /changed since the service started; restart it/);
  t.equal(c.decoders.get('hard')!.isBuilt, false, 'nothing half-built is kept');
});
