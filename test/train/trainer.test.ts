import t from 'tap';
import { readFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '../../src/runtime/tf.ts';
import { initBackend } from '../../src/runtime/backend.ts';
import { train } from '../../src/train/trainer.ts';
import { loadDecoder } from '../../src/model/io.ts';
import { Decoder } from '../../src/model/tfjs-decoder.ts';
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
  const { state, bestDir } = await train({ ...small, captions: data.captions, train: data.split, dev: data.split, cache: data.cache, out, epochs: 25, patience: 100, batchSize: 5, lr: 0.01, lrSchedule: 'constant', workers: 1 });
  t.ok(state.finished);
  const log = readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const losses = log.filter((r) => r.type === 'train').map((r) => r.loss as number);
  t.ok(losses[losses.length - 1] < losses[0] / 5, `loss fell from ${losses[0].toFixed(3)} to ${losses[losses.length - 1].toFixed(3)}`);
  t.ok(existsSync(join(out, 'curve.svg')), 'training curve written');
  const saved = await loadDecoder(bestDir);
  const d = new Decoder(saved.config, saved.vocab, saved.params);
  const { decodeHalf } = await import('../../src/util/float16.ts');
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

t.test('self-critical training raises the CIDEr-D reward of sampled captions, and resumes exactly', async (t) => {
  // Each image has its own caption; after a little cross-entropy the samples are noisy, and
  // REINFORCE on CIDEr-D (leave-one-out baseline) must make them score higher.
  const caps = { 'a.jpg': five('a dog runs on the grass'), 'b.jpg': five('a cat sits on the mat'), 'c.jpg': five('a red ball in the water'), 'd.jpg': five('two men ride bikes') };
  const data = tinyDataset(caps, { seed: 5 });
  const common = { ...small, captions: data.captions, train: data.split, dev: data.split, cache: data.cache, workers: 2, seed: 3 };
  const xe = await train({ ...common, out: join(data.dir, 'xe'), epochs: 3, batchSize: 5, lr: 0.01 });
  // As if expanded: a word said only with support must stay so in the model fine-tuned from it.
  const xeConfig = join(xe.bestDir, 'config.json');
  writeFileSync(xeConfig, JSON.stringify({ ...JSON.parse(readFileSync(xeConfig, 'utf8')), supportedOnly: ['cat'] }));
  const scst = { ...common, objective: 'scst' as const, initFrom: xe.bestDir, epochs: 40, patience: 100, batchSize: 2, lr: 0.005, lrSchedule: 'constant' as const, scstSamples: 4 };
  const run = await train({ ...scst, out: join(data.dir, 'scst') });
  const log = readFileSync(join(data.dir, 'scst', 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const rewards = log.filter((r) => r.type === 'train').map((r) => r.rewardCiderD as number);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b) / xs.length;
  const first = mean(rewards.slice(0, 10));
  const last = mean(rewards.slice(-10));
  t.ok(last > 1.3 * first, `mean sampled CIDEr-D rose from ${first.toFixed(3)} to ${last.toFixed(3)}`);
  const dev = log.filter((r) => r.type === 'dev').map((r) => r.ciderD as number);
  t.ok(dev[dev.length - 1] > dev[0] + 0.2, `greedy CIDEr-D rose from ${dev[0].toFixed(3)} (start) to ${dev[dev.length - 1].toFixed(3)}`);
  t.ok(run.state.finished);
  t.same(JSON.parse(readFileSync(join(run.bestDir, 'config.json'), 'utf8')).supportedOnly, ['cat'], 'supportedOnly kept from the model it started from');

  const a = await train({ ...scst, epochs: 3, out: join(data.dir, 's1'), maxSteps: 5 });
  await train({ ...scst, epochs: 3, out: join(data.dir, 's2'), maxSteps: 2 });
  const b = await train({ ...scst, epochs: 3, out: join(data.dir, 's2'), maxSteps: 5, resume: true });
  t.equal(a.state.step, 5);
  t.equal(b.state.step, 5);
  t.ok(readFileSync(join(data.dir, 's1', 'checkpoint', 'params.f32')).equals(readFileSync(join(data.dir, 's2', 'checkpoint', 'params.f32'))), 'SCST: parameters identical after stop + resume');
});

t.test('attention supervision: the term pulls mass into the named object\'s region, and a supervised run resumes exactly', async (t) => {
  const { COCO_CATEGORIES } = await import('../../src/detector/types.ts');
  const words = ['a', 'dog', 'man', 'runs', 'on', 'grass', 'sits', 'with', 'the'];
  const caps: Record<string, string[]> = {};
  for (let i = 0; i < 6; i++) caps[`img${i}.jpg`] = Array.from({ length: 5 }, (_, k) => ['a', i % 2 ? 'dog' : 'man', ...Array.from({ length: 1 + ((i + k) % 3) }, (_, j) => words[3 + ((i * 5 + k * 3 + j) % 6)])].join(' '));
  const data = tinyDataset(caps, { seed: 11, grid: { h: 3, w: 3 } });
  // the dog on the left column, the man in the bottom-right corner (fractions of the image)
  const images = Object.fromEntries(Object.keys(caps).map((n, i) => [n, i % 2 ? [[0, 0, 0.3, 1, 0.9, 16]] : [[0.7, 0.7, 1, 1, 0.8, 0]]]));
  const targets = join(data.dir, 'detections.json');
  writeFileSync(targets, JSON.stringify({ categories: COCO_CATEGORIES, images }));
  const common = { ...small, captions: data.captions, train: data.split, dev: data.split, devLimit: 2, cache: data.cache, batchSize: 4, workers: 2, seed: 5, attentionTargets: targets, lr: 0.01, lrSchedule: 'constant' as const };
  const massOf = async (mu: number, supervise: 'alpha' | 'focus' = 'alpha') => {
    await train({ ...common, out: join(data.dir, `mu${mu}-${supervise}`), epochs: 8, patience: 100, mu, supervise });
    const recs = readFileSync(join(data.dir, `mu${mu}-${supervise}`, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.type === 'train');
    t.ok(recs.every((r) => r.groundedWords > 0), `μ = ${mu}, ${supervise}: every log record counts grounded words`);
    return recs[recs.length - 1].massInRegion as number; // of the supervised map
  };
  for (const supervise of ['alpha', 'focus'] as const) {
    const without = await massOf(0, supervise);
    const withTerm = await massOf(3, supervise);
    t.ok(withTerm > without + 0.2, `${supervise}: mass in region after training: ${withTerm.toFixed(3)} with μ = 3, ${without.toFixed(3)} with μ = 0`);
  }

  for (const [attention, supervise] of [['soft', 'alpha'], ['hard', 'alpha'], ['hard', 'focus']] as const) {
    const run = { ...common, attention, epochs: 3, mu: 2, supervise };
    await train({ ...run, out: join(data.dir, `${attention}-${supervise}-a`), maxSteps: 12 });
    await train({ ...run, out: join(data.dir, `${attention}-${supervise}-b`), maxSteps: 5 });
    await train({ ...run, out: join(data.dir, `${attention}-${supervise}-b`), maxSteps: 12, resume: true });
    const params = (d: string) => readFileSync(join(data.dir, d, 'checkpoint', 'params.f32'));
    t.ok(params(`${attention}-${supervise}-a`).equals(params(`${attention}-${supervise}-b`)), `${attention}, ${supervise}: supervised run, parameters identical after stop + resume`);
    const latest = await loadDecoder(join(data.dir, `${attention}-${supervise}-b`, 'latest'));
    t.same(Buffer.from(latest.params.buffer), params(`${attention}-${supervise}-b`), `${attention}, ${supervise}: latest/ holds the checkpoint's parameters as a decoder`);
  }
});
