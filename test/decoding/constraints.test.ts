// <unk> is never generated and the repetition guard works, in every search (beam, greedy,
// sampling), on a real decoder whose output bias favours exactly those words.
import t from 'tap';
import * as tf from '../../src/runtime/tf.ts';
import { initBackend } from '../../src/runtime/backend.ts';
import { UNK_ID } from '../../src/data/vocab.ts';
import { beamSearch } from '../../src/decoding/beam.ts';
import { constrainRow, contentWordMask } from '../../src/decoding/constraints.ts';
import { argmaxChooser, decodeStepwise, samplingChooser } from '../../src/decoding/stepwise.ts';
import { Decoder } from '../../src/model/tfjs-decoder.ts';
import { TfjsStepDecoder } from '../../src/model/tfjs-step.ts';
import { initParams, paramLayout, view } from '../../src/model/params.ts';
import { mulberry32 } from '../../src/util/rng.ts';
import { randomFeatures, tinyConfig, tinyVocab } from '../helpers/tiny.ts';

await initBackend();

/** A tiny decoder whose output bias adds `boost` to the given words (so they dominate). */
function biased(boost: Record<number, number>): Decoder {
  const cfg = tinyConfig();
  const flat = initParams(cfg, mulberry32(4));
  const outB = view(flat, paramLayout(cfg).specs.find((s) => s.name === 'outB')!);
  for (const [id, b] of Object.entries(boost)) outB[Number(id)] += b;
  return new Decoder(cfg, tinyVocab(), flat);
}

t.test('constrainRow: <unk> to -Infinity, used content words penalised once, function words never', async (t) => {
  const vocab = tinyVocab();
  const content = contentWordMask(vocab.words);
  const dog = vocab.id('dog'), a = vocab.id('a');
  const lp = new Float32Array(vocab.size).fill(-1);
  constrainRow(lp, 0, [a, dog, a, dog], content, { repetitionPenalty: 2 });
  t.equal(lp[UNK_ID], -Infinity);
  t.equal(lp[dog], -3, 'content word: penalised once though used twice');
  t.equal(lp[a], -1, '"a" repeats freely');
  const off = new Float32Array(vocab.size).fill(-1);
  constrainRow(off, 0, [dog], content, { repetitionPenalty: 0 });
  t.equal(off[dog], -1, 'penalty 0: off');
});

t.test('a decoder that prefers <unk>: no search ever emits it', async (t) => {
  const d = biased({ [UNK_ID]: 50 });
  t.teardown(() => d.dispose());
  const f = randomFeatures(2, d.config, 5);
  // Without the ban this decoder says <unk> first (its logit is +50): check it would.
  const ft = tf.tensor3d(f, [2, d.regions, d.config.featureDim]);
  const step = d.step(d.init(ft), new Int32Array([1, 1]));
  ft.dispose();
  const lp = step.logprobs.dataSync();
  t.equal(argmaxChooser(lp as Float32Array, 2, d.config.vocabSize)[0], UNK_ID, 'the model itself prefers <unk>');
  tf.dispose([step.logprobs, step.alpha, step.weights, step.beta, step.state.a, step.state.P, step.state.h, step.state.c]);
  const greedy = decodeStepwise(new TfjsStepDecoder(d), f, { maxLength: 8, choose: argmaxChooser });
  const sampled = decodeStepwise(new TfjsStepDecoder(d), f, { maxLength: 8, choose: samplingChooser(mulberry32(1), 1) });
  const beams = beamSearch(new TfjsStepDecoder(d), f.subarray(0, d.regions * d.config.featureDim), { beamSize: 4, nBest: 4, maxLength: 8, lengthPenalty: 0 });
  for (const h of [...greedy, ...sampled, ...beams]) t.notOk(h.ids.includes(UNK_ID), `no <unk> in "${h.words.join(' ')}"`);
  t.ok(greedy.every((h) => h.words.length > 0), 'greedy still says something');
});

t.test('repetition guard: a decoder stuck on one content word stops repeating it; 0 turns the guard off', async (t) => {
  const vocab = tinyVocab();
  const dog = vocab.id('dog');
  // +3 on "dog": repeated without the guard, beaten by the penalty (which can exceed the boost).
  const d = biased({ [dog]: 3 });
  t.teardown(() => d.dispose());
  const f = randomFeatures(1, d.config, 5);
  const count = (ids: number[]) => ids.filter((i) => i === dog).length;
  const off = decodeStepwise(new TfjsStepDecoder(d), f, { maxLength: 10, choose: argmaxChooser, repetitionPenalty: 0 })[0];
  t.ok(count(off.ids) > 1, `without the guard "dog" repeats: "${off.words.join(' ')}"`);
  const on = decodeStepwise(new TfjsStepDecoder(d), f, { maxLength: 10, choose: argmaxChooser, repetitionPenalty: 10 })[0];
  t.equal(count(on.ids), 1, `with the guard "dog" appears once: "${on.words.join(' ')}"`);
  const beamOff = beamSearch(new TfjsStepDecoder(d), f, { beamSize: 3, nBest: 1, maxLength: 10, lengthPenalty: 0, repetitionPenalty: 0 })[0];
  const beamOn = beamSearch(new TfjsStepDecoder(d), f, { beamSize: 3, nBest: 1, maxLength: 10, lengthPenalty: 0, repetitionPenalty: 10 })[0];
  t.ok(count(beamOff.ids) > 1, `beam, no guard: "${beamOff.words.join(' ')}"`);
  t.equal(count(beamOn.ids), 1, `beam, guard: "${beamOn.words.join(' ')}"`);
  // Results report the model's own log-probabilities, not the penalised ones.
  t.ok(Math.abs(beamOn.logprob - (beamOn.steps.reduce((s, x) => s + x.logprob, 0))) < 5, 'logprob is the model\'s (words + <end>)');
});

t.test('truncated: set when maxLength cut the caption, not when the model ended it', async (t) => {
  const vocab = tinyVocab();
  const d = biased({ [vocab.id('dog')]: 3 });
  t.teardown(() => d.dispose());
  const f = randomFeatures(1, d.config, 5);
  const cut = decodeStepwise(new TfjsStepDecoder(d), f, { maxLength: 2, choose: argmaxChooser, repetitionPenalty: 0 })[0];
  t.equal(cut.words.length, 2);
  t.equal(cut.truncated, true);
  const ends = biased({ 2: 50 }); // <end> first
  t.teardown(() => ends.dispose());
  const short = decodeStepwise(new TfjsStepDecoder(ends), f, { maxLength: 2, choose: argmaxChooser })[0];
  t.equal(short.words.length, 0);
  t.notOk(short.truncated);
  const beam = beamSearch(new TfjsStepDecoder(d), f, { beamSize: 2, nBest: 1, maxLength: 2, lengthPenalty: 0, repetitionPenalty: 0 })[0];
  t.equal(beam.truncated, true);
});
