import t from 'tap';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '../../src/runtime/tf.ts';
import { initBackend } from '../../src/runtime/backend.ts';
import { train } from '../../src/train/trainer.ts';
import { loadDecoder } from '../../src/model/io.ts';
import { Decoder } from '../../src/model/decoder.ts';
import { decodeStepwise, argmaxChooser } from '../../src/decoding/stepwise.ts';
import { TfjsStepDecoder } from '../../src/model/tfjs-step.ts';
import { tinyDataset } from '../helpers/tiny-dataset.ts';

await initBackend();
const small = { embedDim: 16, hiddenDim: 24, attentionDim: 12, minCount: 1, dropout: 0, checkpointMinutes: 60 };
const five = (c: string) => [c, c, c, c, c];

t.test('a tiny decoder overfits a handful of captions: loss falls, greedy reproduces them', async (t) => {
  const caps = { 'a.jpg': five('a dog runs on the grass'), 'b.jpg': five('a cat sits on the mat'), 'c.jpg': five('a red ball on the grass') };
  const data = tinyDataset(caps);
  const out = join(data.dir, 'run');
  const { state, bestDir } = await train({ ...small, captions: data.captions, train: data.split, dev: data.split, cache: data.cache, out, epochs: 25, patience: 100, batchSize: 5, lr: 0.01, workers: 1 });
  t.ok(state.finished);
  const log = readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const losses = log.filter((r) => r.type === 'train').map((r) => r.loss as number);
  t.ok(losses[losses.length - 1] < losses[0] / 5, `loss fell from ${losses[0].toFixed(3)} to ${losses[losses.length - 1].toFixed(3)}`);
  t.ok(existsSync(join(out, 'curve.svg')), 'training curve written');
  const saved = await loadDecoder(bestDir);
  const d = new Decoder(saved.config, saved.vocab, saved.params);
  const { decodeHalf } = await import('../../src/encoder/float16.ts');
  const all = decodeHalf(new Uint16Array(new Uint8Array(readFileSync(join(data.cache, 'features.f16'))).buffer));
  const hyps = decodeStepwise(new TfjsStepDecoder(d), all, { maxLength: 10, choose: argmaxChooser });
  t.same(hyps.map((h) => h.words.join(' ')), Object.values(caps).map((c) => c[0]), 'greedy decoding reproduces the training captions');
  d.dispose();
});

t.test('resume continues exactly: stopping and resuming gives the same weights as one run (soft and hard)', async (t) => {
  const caps: Record<string, string[]> = {};
  const words = ['a', 'dog', 'cat', 'runs', 'on', 'grass', 'mat', 'red', 'ball', 'sits'];
  for (let i = 0; i < 8; i++) caps[`img${i}.jpg`] = Array.from({ length: 5 }, (_, k) => Array.from({ length: 3 + ((i + k) % 4) }, (_, j) => words[(i * 3 + k * 7 + j * 5) % words.length]).join(' '));
  for (const attention of ['soft', 'hard'] as const) {
    const data = tinyDataset(caps, { seed: 3 });
    const common = { ...small, dropout: 0.5, attention, captions: data.captions, train: data.split, dev: data.split, cache: data.cache, epochs: 3, batchSize: 4, workers: 2, seed: 7 };
    const a = await train({ ...common, out: join(data.dir, 'a'), maxSteps: 14 });
    await train({ ...common, out: join(data.dir, 'b'), maxSteps: 6 });
    const b = await train({ ...common, out: join(data.dir, 'b'), maxSteps: 14, resume: true });
    t.equal(a.state.step, 14);
    t.equal(b.state.step, 14);
    const pa = readFileSync(join(data.dir, 'a', 'checkpoint', 'params.f32'));
    const pb = readFileSync(join(data.dir, 'b', 'checkpoint', 'params.f32'));
    t.ok(pa.equals(pb), `${attention}: parameters identical after stop + resume`);
    const ma = readFileSync(join(data.dir, 'a', 'checkpoint', 'adam-v.f32'));
    const mb = readFileSync(join(data.dir, 'b', 'checkpoint', 'adam-v.f32'));
    t.ok(ma.equals(mb), `${attention}: optimizer state identical`);
    t.same({ ...a.state, elapsedSec: 0 }, { ...b.state, elapsedSec: 0 }, `${attention}: training state identical`);
    if (attention === 'hard') t.type(a.state.baseline, 'number', 'REINFORCE baseline tracked');
    await t.rejects(train({ ...common, out: join(data.dir, 'a') }), /already has a checkpoint/);
  }
});
