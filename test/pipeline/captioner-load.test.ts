// Captioner.load refuses a models folder whose two decoders want different encoder input sizes:
// one encoder serves both, so one of them would silently get features on the wrong grid.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Captioner } from '../../src/pipeline/captioner.ts';
import { saveDecoder } from '../../src/model/io.ts';
import { initParams } from '../../src/model/params.ts';
import { mulberry32 } from '../../src/util/rng.ts';
import { tinyConfig, tinyVocab } from '../helpers/tiny.ts';

t.test('soft at 224 and hard at 448 in one MODELS_DIR: a clear error, before the encoder loads', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sat-sizes-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const [kind, inputSize] of [['soft', 224], ['hard', 448]] as const) {
    const config = tinyConfig({ attention: kind, grid: inputSize === 224 ? { h: 7, w: 7 } : { h: 14, w: 14 }, encoder: { id: 'test', sha256: 'test', inputSize } });
    await saveDecoder(join(dir, kind), { config, vocab: tinyVocab(), params: initParams(config, mulberry32(1)) });
  }
  await t.rejects(Captioner.load({ modelsDir: dir, allowDownload: false, log: () => {} }), /encoder input 448 differs from the other decoder's 224/);
});
