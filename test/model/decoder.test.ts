import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '../../src/runtime/tf.ts';
import { initBackend } from '../../src/runtime/backend.ts';
import { Decoder, disposeState, paramTensors } from '../../src/model/tfjs-decoder.ts';
import { loadDecoder, saveDecoder } from '../../src/model/io.ts';
import { computeGradients } from '../../src/train/bptt.ts';
import { START_ID } from '../../src/data/vocab.ts';
import { randomFeatures, tinyDecoder } from '../helpers/tiny.ts';

await initBackend();

t.test('α_t is a distribution over the grid, β_t in (0,1)', async (t) => {
  const d = tinyDecoder();
  const L = d.regions;
  const feats = tf.tensor3d(randomFeatures(3, d.config), [3, L, d.config.featureDim]);
  const s0 = d.init(feats);
  const out = d.step(s0, new Int32Array(3).fill(START_ID));
  t.same(out.alpha.shape, [3, L]);
  const a = out.alpha.arraySync();
  for (const row of a) t.ok(Math.abs(row.reduce((x, y) => x + y, 0) - 1) < 1e-5, 'row sums to 1');
  for (const b of out.beta.dataSync()) t.ok(b > 0 && b < 1, 'beta in (0,1)');
  const lp = out.logprobs.arraySync()[0];
  t.ok(Math.abs(lp.reduce((s, x) => s + Math.exp(x), 0) - 1) < 1e-4, 'word distribution sums to 1');
  tf.dispose([feats, out.logprobs, out.alpha, out.weights, out.beta]);
  disposeState(s0);
  disposeState(out.state);
  d.dispose();
});

t.test('inference steps and the training forward pass agree on log p(caption)', async (t) => {
  const d = tinyDecoder(3);
  const cfg = d.config;
  const B = 2, T = 4, L = d.regions;
  const features = randomFeatures(B, cfg, 5);
  const tokens = Int32Array.from([1, 4, 5, 6, 2, 1, 7, 8, 9, 2]);
  const p = paramTensors(cfg, d.flat);
  const stats = computeGradients(cfg, p, { features, tokens, B, T }, { sampled: false, dropout: 0, seed: 1, tokenScale: 1, regScale: 0 }, new Float32Array(d.flat.length));
  tf.dispose(Object.values(p));
  const feats = tf.tensor3d(features, [B, L, cfg.featureDim]);
  let state = d.init(feats);
  let nll = 0;
  for (let s = 0; s < T; s++) {
    const out = d.step(state, Int32Array.from([tokens[s], tokens[T + 1 + s]]));
    const lp = out.logprobs.arraySync();
    nll -= lp[0][tokens[s + 1]] + lp[1][tokens[T + 1 + s + 1]];
    tf.dispose([out.logprobs, out.alpha, out.weights, out.beta]);
    disposeState(state);
    state = out.state;
  }
  disposeState(state);
  feats.dispose();
  t.ok(Math.abs(nll - stats.nllSum) < 1e-3 * Math.abs(nll), `step-by-step ${nll.toFixed(5)} vs training ${stats.nllSum.toFixed(5)}`);
  d.dispose();
});

t.test('save → load gives identical outputs (float32) and close ones (float16)', async (t) => {
  const d = tinyDecoder(4);
  const dir = mkdtempSync(join(tmpdir(), 'sat-io-'));
  const L = d.regions;
  const run = (dec: Decoder) =>
    tf.tidy(() => {
      const feats = tf.tensor3d(randomFeatures(1, dec.config, 9), [1, L, dec.config.featureDim]);
      const s = dec.init(feats);
      const o = dec.step(s, new Int32Array([START_ID]));
      return Array.from(o.logprobs.dataSync());
    });
  const before = run(d);
  for (const dtype of ['float32', 'float16'] as const) {
    await saveDecoder(join(dir, dtype), { config: d.config, vocab: d.vocab, params: d.flat, card: { note: 'test' } }, dtype);
    const saved = await loadDecoder(join(dir, dtype));
    t.same(saved.vocab.words, d.vocab.words);
    t.same(saved.card, { note: 'test' });
    const d2 = new Decoder(saved.config, saved.vocab, saved.params);
    const after = run(d2);
    const maxDiff = Math.max(...after.map((x, i) => Math.abs(x - before[i])));
    if (dtype === 'float32') t.equal(maxDiff, 0, 'float32 round trip is exact');
    else t.ok(maxDiff < 1e-2, `float16 round trip within 1e-2 (max diff ${maxDiff.toExponential(2)})`);
    d2.dispose();
  }
  d.dispose();
});

t.test('loading rejects a corrupt weights file', async (t) => {
  const d = tinyDecoder(4);
  const dir = mkdtempSync(join(tmpdir(), 'sat-io-bad-'));
  await saveDecoder(dir, { config: d.config, vocab: d.vocab, params: d.flat.subarray(0, d.flat.length) }, 'float32');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(dir, 'weights.bin'), Buffer.alloc(10));
  await t.rejects(loadDecoder(dir), /weights\.bin has 10 bytes/);
  await t.rejects(loadDecoder(join(dir, 'nope')), /config\.json missing/);
  d.dispose();
});
