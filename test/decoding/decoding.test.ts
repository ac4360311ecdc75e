import t from 'tap';
import * as tf from '../../src/runtime/tf.ts';
import { initBackend } from '../../src/runtime/backend.ts';
import { beamSearch, beamSearchBatch } from '../../src/decoding/beam.ts';
import { TfjsStepDecoder } from '../../src/model/tfjs-step.ts';
import { argmaxChooser, decodeStepwise, samplingChooser } from '../../src/decoding/stepwise.ts';
import type { WordStep } from '../../src/decoding/types.ts';
import { mulberry32 } from '../../src/util/rng.ts';
import { randomFeatures, tinyDecoder } from '../helpers/tiny.ts';

await initBackend();
const d = new TfjsStepDecoder(tinyDecoder(11, { attention: 'hard' }));
const L = d.regions;
const D = d.config.featureDim;
const feats = (n: number, seed = 3) => randomFeatures(n, d.config, seed);
t.teardown(() => d.dispose());

t.test('greedy: one caption per image with per-word α (grid-sized, sums to 1) and β', async (t) => {
  const f = feats(3);
  const hyps = decodeStepwise(d, f, { maxLength: 8, choose: argmaxChooser, details: true });
  t.equal(hyps.length, 3);
  for (const h of hyps) {
    t.ok(h.words.length <= 8);
    t.equal(h.steps.length, h.words.length);
    for (const s of h.steps) {
      t.equal(s.alpha.length, L);
      t.ok(Math.abs(s.alpha.reduce((a, b) => a + b, 0) - 1) < 1e-4);
      t.ok(s.beta > 0 && s.beta < 1);
      t.ok(s.logprob <= 0);
    }
  }
});

t.test('onStep: called once per emitted word per image, in order, with the returned steps', async (t) => {
  const f = feats(3, 21);
  for (const [name, make] of [
    ['greedy', () => ({ choose: argmaxChooser })],
    ['hard sampling', () => { const rng = mulberry32(5); return { choose: samplingChooser(rng, 2), mode: { kind: 'sample', rng } as const }; }],
  ] as const) {
    const seen: { k: number; step: WordStep }[] = [];
    const hyps = decodeStepwise(d, f, { maxLength: 9, details: true, ...make(), onStep: (k, step) => seen.push({ k, step }) });
    const plain = decodeStepwise(d, f, { maxLength: 9, details: true, ...make() });
    t.same(hyps.map((h) => [h.ids, h.logprob]), plain.map((h) => [h.ids, h.logprob]), `${name}: same captions with or without onStep`);
    t.equal(seen.length, hyps.reduce((n, h) => n + h.words.length, 0), `${name}: one call per word`);
    t.ok(seen.length > 0, `${name}: some words`);
    for (const [k, h] of hyps.entries()) {
      const mine = seen.filter((s) => s.k === k).map((s) => s.step);
      t.same(mine, h.steps, `${name}: image ${k}'s calls are its steps, in order`);
      t.ok(mine.every((s, i) => s === h.steps[i]), `${name}: image ${k}: the very step objects`);
    }
    // As decoding runs: by decoder step (word position), then image 0..K-1 within a step.
    const order = seen.map(({ k }, j) => [seen.slice(0, j + 1).filter((s) => s.k === k).length - 1, k]);
    t.ok(order.every(([p, k], j) => j === 0 || p > order[j - 1][0] || (p === order[j - 1][0] && k > order[j - 1][1])), `${name}: calls ordered by (step, image): ${JSON.stringify(order)}`);
  }
  // Without details: the same words are reported, and the hypotheses keep no steps.
  const seen: WordStep[] = [];
  const bare = decodeStepwise(d, f, { maxLength: 9, choose: argmaxChooser, onStep: (_k, s) => seen.push(s) });
  t.ok(bare.every((h) => h.steps.length === 0), 'steps not kept without details');
  t.same(seen.map((s) => s.id).sort(), bare.flatMap((h) => h.ids).sort(), 'every word reported');
  t.ok(seen.every((s) => s.alpha.length === L && typeof s.beta === 'number'));
});

t.test('hard attention sampling: same seed → same locations and words; other seeds differ', async (t) => {
  const f = feats(2, 7);
  const run = (seed: number) => {
    const rng = mulberry32(seed);
    return decodeStepwise(d, f, { maxLength: 10, choose: samplingChooser(rng, 1), mode: { kind: 'sample', rng }, details: true });
  };
  const sig = (hs: ReturnType<typeof run>) => JSON.stringify(hs.map((h) => [h.ids, h.steps.map((s) => s.region)]));
  const a = sig(run(1)), b = sig(run(1));
  t.equal(a, b, 'deterministic for a seed');
  const others = new Set([2, 3, 4, 5].map((s) => sig(run(s))));
  t.ok([...others].some((o) => o !== a), 'another seed gives a different result');
  for (const h of run(9)) for (const s of h.steps) {
    t.ok(s.region !== undefined && s.region >= 0 && s.region < L, 'sampled region recorded');
  }
});

t.test('beam search: k ≥ 2 finds a caption at least as likely as greedy; n-best sorted', async (t) => {
  for (let seed = 1; seed <= 4; seed++) {
    const f = feats(1, 100 + seed);
    const greedy = decodeStepwise(d, f, { maxLength: 12, choose: argmaxChooser })[0];
    for (const k of [2, 5]) {
      const beams = beamSearch(d, f, { beamSize: k, maxLength: 12, nBest: k, lengthPenalty: 0 });
      t.ok(beams[0].logprob >= greedy.logprob - 1e-4, `seed ${seed} k=${k}: beam ${beams[0].logprob.toFixed(3)} ≥ greedy ${greedy.logprob.toFixed(3)}`);
      for (let i = 1; i < beams.length; i++) t.ok(beams[i - 1].score >= beams[i].score, 'n-best sorted by score');
      t.ok(beams.length <= k);
    }
    const one = beamSearch(d, f, { beamSize: 1, maxLength: 12, nBest: 1, lengthPenalty: 0 })[0];
    t.same(one.ids, greedy.ids, 'beam 1 = greedy');
  }
});

t.test('beamSearchBatch: several images in one step call give what one image at a time gives', async (t) => {
  const f = feats(4, 31);
  for (const k of [1, 3, 5]) {
    const opts = { beamSize: k, maxLength: 10, nBest: k, lengthPenalty: 0.5 };
    const together = beamSearchBatch(d, f, opts);
    const alone = [0, 1, 2, 3].map((n) => beamSearch(d, f.subarray(n * L * D, (n + 1) * L * D), opts));
    t.equal(together.length, 4);
    for (let n = 0; n < 4; n++) {
      t.same(together[n].map((h) => h.ids), alone[n].map((h) => h.ids), `k=${k} image ${n}: same hypotheses in the same order`);
      const diff = Math.max(...together[n].map((h, i) => Math.abs(h.logprob - alone[n][i].logprob)));
      t.ok(diff < 1e-5, `k=${k} image ${n}: log-probabilities agree (max diff ${diff.toExponential(1)})`);
    }
  }
});

t.test('maps: false keeps no α but the same words, log-probabilities and β', async (t) => {
  const f = feats(2, 41);
  const withMaps = beamSearchBatch(d, f, { beamSize: 3, maxLength: 8, nBest: 3, lengthPenalty: 0 });
  const without = beamSearchBatch(d, f, { beamSize: 3, maxLength: 8, nBest: 3, lengthPenalty: 0, maps: false });
  t.same(without.map((hs) => hs.map((h) => [h.ids, h.logprob, h.steps.map((s) => s.beta)])), withMaps.map((hs) => hs.map((h) => [h.ids, h.logprob, h.steps.map((s) => s.beta)])));
  t.ok(without.flat().every((h) => h.steps.every((s) => s.alpha.length === 0)), 'no maps');
  const g = decodeStepwise(d, f, { maxLength: 8, choose: argmaxChooser, details: true, maps: false });
  t.ok(g.every((h) => h.steps.length === h.ids.length && h.steps.every((s) => s.alpha.length === 0)), 'greedy: steps without maps');
});

t.test('maxLength is respected by every search', async (t) => {
  const f = feats(1, 5);
  t.ok(decodeStepwise(d, f, { maxLength: 2, choose: argmaxChooser })[0].words.length <= 2);
  t.ok(beamSearch(d, f, { beamSize: 3, maxLength: 2, nBest: 3, lengthPenalty: 0 }).every((h) => h.words.length <= 2));
});

t.test('no tensor leaks: as many tensors after 1,000 captions as after 10', async (t) => {
  const f = feats(5, 8);
  const run = (n: number) => {
    for (let i = 0; i < n / 5; i++) {
      if (i % 2) decodeStepwise(d, f, { maxLength: 6, choose: samplingChooser(mulberry32(i), 1), mode: { kind: 'sample', rng: mulberry32(i) }, details: true });
      else {
        const one = f.subarray(0, L * D);
        beamSearch(d, one, { beamSize: 3, maxLength: 6, nBest: 3, lengthPenalty: 0.5 });
        decodeStepwise(d, f, { maxLength: 6, choose: argmaxChooser, details: true });
      }
    }
    return tf.memory().numTensors;
  };
  const after10 = run(10);
  const after1000 = run(1000);
  t.equal(after1000, after10, `numTensors ${after10} after 10, ${after1000} after 1,000`);
});
