// The grounding rules: the bias vector an image's evidence gives, the ImageNet → COCO map, and the
// rules inside every search (beam, greedy, sampling) on a real tiny decoder.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { initBackend } from '../../src/runtime/backend.ts';
import { END_ID, START_ID } from '../../src/data/vocab.ts';
import { COCO_CATEGORIES, type RawDetection } from '../../src/detector/types.ts';
import { beamSearch, beamSearchBatch } from '../../src/decoding/beam.ts';
import { applyGrounding } from '../../src/decoding/apply-grounding.ts';
import { DEFAULT_GROUNDING_RULES, imageGrounding, pluralObjectWords, ungrounded } from '../../src/decoding/grounding.ts';
import { categoryWord } from '../../src/decoding/hypernyms.ts';
import { IMAGENET_TO_COCO, imagenetSupport } from '../../src/decoding/imagenet-coco.ts';
import { argmaxChooser, decodeStepwise, samplingChooser } from '../../src/decoding/stepwise.ts';
import type { Hypothesis } from '../../src/decoding/types.ts';
import { Decoder } from '../../src/model/tfjs-decoder.ts';
import { TfjsStepDecoder } from '../../src/model/tfjs-step.ts';
import { initParams, paramLayout, view } from '../../src/model/params.ts';
import { mulberry32 } from '../../src/util/rng.ts';
import { randomFeatures, tinyConfig, tinyVocab } from '../helpers/tiny.ts';

await initBackend();

const cls = (name: string) => COCO_CATEGORIES.indexOf(name as (typeof COCO_CATEGORIES)[number]);
const det = (name: string, score: number): RawDetection => ({ classIndex: cls(name), score, x1: 0.1, y1: 0.1, x2: 0.5, y2: 0.5 });
const labels: string[] = JSON.parse(readFileSync(new URL('../../models/imagenet-labels.json', import.meta.url), 'utf8'));

t.test('ImageNet → COCO: written from the label names', async (t) => {
  const of = (i: number) => (IMAGENET_TO_COCO[i] >= 0 ? COCO_CATEGORIES[IMAGENET_TO_COCO[i]] : null);
  t.equal(labels[281].split(',')[0], 'tabby');
  t.equal(of(281), 'cat');
  t.equal(of(340), 'zebra', labels[340]);
  t.equal(of(151), 'dog', labels[151]);
  t.equal(of(268), 'dog', labels[268]);
  t.equal(of(21), 'bird', `"${labels[21]}" is a bird of prey: a bird, never the COCO kite`);
  t.equal(of(404), 'airplane', labels[404]);
  t.equal(of(963), 'pizza', labels[963]);
  const s = imagenetSupport([{ index: 151, score: 0.3 }, { index: 207, score: 0.25 }, { index: 281, score: 0.1 }]);
  t.ok(Math.abs(s[cls('dog')] - 0.55) < 1e-6, 'dog breeds add up');
  t.ok(Math.abs(s[cls('cat')] - 0.1) < 1e-6);
});

t.test('the bias vector from detections and ImageNet', async (t) => {
  const v = tinyVocab();
  const [dog, cat, ball, grass] = ['dog', 'cat', 'ball', 'grass'].map((w) => v.id(w));
  const r = DEFAULT_GROUNDING_RULES;
  const g = imageGrounding(v.words, { detections: [det('dog', 0.7), det('sports ball', 0.3), det('cat', 0.15)] });
  t.equal(g.bias[dog], r.boost, 'confident (0.7 ≥ 0.4): boosted');
  t.equal(g.bias[ball], 0, 'supported (0.3), not confident: left alone');
  t.equal(g.bias[cat], -r.penalty, 'below the floor (0.15 < 0.2): penalised');
  t.equal(g.bias[grass], 0, 'not an object word');
  const withTags = imageGrounding(v.words, { detections: [det('dog', 0.7)], imagenet: [{ index: 281, score: 0.5 }] });
  t.equal(withTags.bias[cat], r.boost, 'ImageNet tabby 0.5 makes cat confident though the detector missed it');
  const noDetector = imageGrounding(v.words, { imagenet: [{ index: 281, score: 0.5 }] });
  t.equal(noDetector.bias[dog], 0, 'no detector ran: absence is no evidence, nothing penalised');
  t.equal(noDetector.bias[cat], r.boost, '… but ImageNet still boosts');
});

t.test('applyGrounding: the first word is the model\'s own choice unless boostFirst (penalties apply from the start)', async (t) => {
  const v = tinyVocab();
  const [dog, cat] = [v.id('dog'), v.id('cat')];
  const rules = { ...DEFAULT_GROUNDING_RULES, boost: 3, within: 0 };
  const first = new Float32Array(v.size).fill(-2);
  applyGrounding(first, 0, [], imageGrounding(v.words, { detections: [det('dog', 0.9)] }, rules));
  t.equal(first[dog], -2, 'no boost on the first word');
  t.equal(first[cat], -2 - rules.penalty, 'an unsupported category is penalised on the first word too');
  const boosted = new Float32Array(v.size).fill(-2);
  applyGrounding(boosted, 0, [], imageGrounding(v.words, { detections: [det('dog', 0.9)] }, { ...rules, boostFirst: true }));
  t.equal(boosted[dog], 1, 'boostFirst: −2 + 3 on the first word');
});

t.test('applyGrounding: the boost ends once the category is named; <end> waits for confident categories', async (t) => {
  const v = tinyVocab();
  const [dog, a] = [v.id('dog'), v.id('a')];
  const g = imageGrounding(v.words, { detections: [det('dog', 0.9)] }, { ...DEFAULT_GROUNDING_RULES, boost: 3, endPenalty: 5, within: 0 });
  const row = () => new Float32Array(v.size).fill(-2);
  const before = row();
  applyGrounding(before, 0, [a], g);
  t.equal(before[dog], 1, 'unnamed: −2 + 3');
  t.equal(before[END_ID], -7, '<end> − 5 while the dog is unnamed');
  const after = row();
  applyGrounding(after, 0, [a, dog], g);
  t.equal(after[dog], -2, 'named: the boost is taken back');
  t.equal(after[END_ID], -2, 'named: <end> free again');
  // within: the allowed object words keep their total probability; the boost moves it to the dog.
  const w = imageGrounding(v.words, { detections: [det('dog', 0.9), det('cat', 0.3), det('sports ball', 0.1)] }, { ...DEFAULT_GROUNDING_RULES, boost: Math.log(4), within: 1, boostFirst: true, transfer: false });
  const [cat, ball] = [v.id('cat'), v.id('ball')];
  const model = new Float32Array(v.size).fill(Math.log(0.05));
  model[dog] = Math.log(0.1);
  model[cat] = Math.log(0.1);
  const r = Float32Array.from(model);
  applyGrounding(r, 0, [], w);
  // O = {dog, cat}: Σ p = 0.2; dog ×4 → weights 0.4 : 0.1, renormalised to 0.2 → dog 0.16, cat 0.04.
  t.ok(Math.abs(Math.exp(r[dog]) - 0.16) < 1e-6, `dog ${Math.exp(r[dog])}`);
  t.ok(Math.abs(Math.exp(r[cat]) - 0.04) < 1e-6, `cat ${Math.exp(r[cat])}`);
  t.equal(r[a], model[a], 'non-object words untouched: the model still decides when to name an object');
  t.equal(r[ball], model[ball] - DEFAULT_GROUNDING_RULES.penalty, 'unsupported: still penalised');
  const cats = imageGrounding(v.words, { detections: [det('zebra', 0.9)] }, { ...DEFAULT_GROUNDING_RULES, endPenalty: 5 });
  t.equal(cats.confident[cls('zebra')], 0, 'a category with no word in the vocabulary cannot hold up <end>');
});

/** A tiny decoder whose output bias favours the given words by `boost` (so they dominate). */
function biased(boost: Record<number, number>, over = {}): Decoder {
  const cfg = tinyConfig(over);
  const flat = initParams(cfg, mulberry32(4));
  const outB = view(flat, paramLayout(cfg).specs.find((s) => s.name === 'outB')!);
  for (const [id, b] of Object.entries(boost)) outB[Number(id)] += b;
  return new Decoder(cfg, tinyVocab(), flat);
}

/** The model's own log-probability of each word of a caption, teacher-forced. */
function modelLogprobs(d: TfjsStepDecoder, features: Float32Array, ids: number[]): number[] {
  let state = d.init(features, 1);
  const out: number[] = [];
  let prev = START_ID;
  for (const id of [...ids, END_ID]) {
    const s = d.step(state, new Int32Array([prev]));
    d.release(state);
    state = s.state;
    out.push(s.logprobs[id]);
    prev = id;
  }
  d.release(state);
  return out;
}

t.test('every search: an unsupported favourite is never said, a confident object is; log-probabilities stay the model\'s', async (t) => {
  const v = tinyVocab();
  const [dog, cat] = [v.id('dog'), v.id('cat')];
  const d = biased({ [dog]: 4 });
  t.teardown(() => d.dispose());
  const steps = new TfjsStepDecoder(d);
  const f = randomFeatures(2, d.config, 5);
  const one = f.subarray(0, d.regions * d.config.featureDim);
  // Image 0: a cat, no dog; image 1: grounding off.
  const g = imageGrounding(v.words, { detections: [det('cat', 0.9)] }, { ...DEFAULT_GROUNDING_RULES, boost: 6, within: 0 });
  const has = (h: Hypothesis, id: number) => h.ids.includes(id);
  const off = beamSearch(steps, one, { beamSize: 3, nBest: 1, maxLength: 8, lengthPenalty: 0 })[0];
  t.ok(has(off, dog), `off: the model says dog: "${off.words.join(' ')}"`);
  const [beamOn, beamOff] = beamSearchBatch(steps, f, { beamSize: 3, nBest: 3, maxLength: 8, lengthPenalty: 0, grounding: [g, null] }).map((hs) => hs[0]);
  const greedy = decodeStepwise(steps, f, { maxLength: 8, choose: argmaxChooser, grounding: [g] });
  const sampled = decodeStepwise(steps, f, { maxLength: 8, choose: samplingChooser(mulberry32(3), 1), grounding: [g, undefined] });
  for (const [name, h] of [['beam', beamOn], ['greedy', greedy[0]], ['sampling', sampled[0]]] as const) {
    t.notOk(has(h, dog), `${name}, grounded: no dog in "${h.words.join(' ')}"`);
    t.ok(has(h, cat), `${name}, grounded: the detected cat is named in "${h.words.join(' ')}"`);
  }
  t.ok(has(beamOff, dog), `beam, image 1 of the same batch ungrounded: "${beamOff.words.join(' ')}"`);
  t.ok(has(greedy[1], dog), 'greedy, image 1 ungrounded');
  const own = modelLogprobs(steps, one, beamOn.ids);
  beamOn.steps.forEach((s, i) => t.equal(s.logprob, own[i], `step ${i} "${s.word}": the model's log-probability`));
  t.ok(Math.abs(beamOn.logprob - own.reduce((a, b) => a + b, 0)) < 1e-4, 'caption log-probability: the model\'s own');
});

t.test('supportedOnly words (vocabulary expansion) need support, even with grounding off', async (t) => {
  const v = tinyVocab();
  const cat = v.id('cat');
  const d = biased({ [cat]: 6 }, { supportedOnly: ['cat'] });
  t.teardown(() => d.dispose());
  const steps = new TfjsStepDecoder(d);
  const f = randomFeatures(1, d.config, 5);
  t.equal(ungrounded(v.words, ['cat'])!.bias[cat], -Infinity);
  t.equal(ungrounded(v.words, []), null, 'nothing to ban: no bias at all');
  const off = [beamSearch(steps, f, { beamSize: 3, nBest: 3, maxLength: 8, lengthPenalty: 0 }), decodeStepwise(steps, f, { maxLength: 8, choose: argmaxChooser })].flat();
  for (const h of off) t.notOk(h.ids.includes(cat), `grounding off: no cat in "${h.words.join(' ')}"`);
  const unsupported = imageGrounding(v.words, { detections: [det('dog', 0.9)] }, DEFAULT_GROUNDING_RULES, ['cat']);
  t.equal(unsupported.bias[cat], -Infinity, 'unsupported: banned outright');
  const supported = imageGrounding(v.words, { detections: [det('cat', 0.3)] }, DEFAULT_GROUNDING_RULES, ['cat']);
  const on = beamSearch(steps, f, { beamSize: 3, nBest: 1, maxLength: 8, lengthPenalty: 0, grounding: [supported] })[0];
  t.ok(on.ids.includes(cat), `supported at 0.3: said in "${on.words.join(' ')}"`);
});

t.test('refinement: a generic word\'s probability moves to the confident category of its COCO supercategory', async (t) => {
  const words = ['<pad>', '<start>', '<end>', '<unk>', 'a', 'animal', 'animals', 'dog', 'dogs', 'cat', 'cats', 'sheep', 'vehicle', 'car'];
  const id = (w: string) => words.indexOf(w);
  const rules = { ...DEFAULT_GROUNDING_RULES, boost: 0, within: 0, generalise: false };
  const lp = () => Float32Array.from(words, (w) => Math.log(w === 'animal' ? 0.3 : w === 'animals' ? 0.2 : 0.05));
  const g = imageGrounding(words, { detections: [det('cat', 0.5), det('dog', 0.8), det('sheep', 0.3)] }, rules);
  const row = lp();
  applyGrounding(row, 0, [id('a')], g);
  t.ok(Math.abs(row[id('dog')] - Math.log(0.35)) < 1e-6, 'p(dog) + p(animal): the best-supported confident animal (dog 0.8 over cat 0.5)');
  t.ok(Math.abs(row[id('dogs')] - Math.log(0.25)) < 1e-6, 'the plural goes to the plural');
  t.ok(Math.abs(row[id('animal')] - (Math.log(0.3) - rules.penalty)) < 1e-6, 'the generic word is not said');
  t.ok(Math.abs(row[id('cat')] - Math.log(0.05)) < 1e-6, 'cat, confident but second, keeps its own');
  t.ok(Math.abs(row[id('vehicle')] - Math.log(0.05)) < 1e-6, 'no confident vehicle: "vehicle" is left alone');
  const named = lp();
  applyGrounding(named, 0, [id('a'), id('dog')], g);
  t.ok(Math.abs(named[id('animal')] - Math.log(0.3)) < 1e-6, 'once the dog is named, "animal" is the model\'s again');
  const off = lp();
  applyGrounding(off, 0, [id('a')], imageGrounding(words, { detections: [det('dog', 0.8)] }, { ...rules, refine: false }));
  t.ok(Math.abs(off[id('animal')] - Math.log(0.3)) < 1e-6, 'refine: false leaves generic words alone');
});

t.test('graded suppression (slope): a weak detection costs k·ln(floor/s) nats, no evidence the full penalty', async (t) => {
  const v = tinyVocab();
  const [dog, cat, ball] = ['dog', 'cat', 'ball'].map((w) => v.id(w));
  const rules = { ...DEFAULT_GROUNDING_RULES, slope: 3 };
  const g = imageGrounding(v.words, { detections: [det('dog', 0.1), det('cat', 0.001)] }, rules);
  t.ok(Math.abs(g.bias[dog] + 3 * Math.log(2)) < 1e-6, 'dog at 0.1, floor 0.2: −3·ln 2');
  t.equal(g.bias[cat], -rules.penalty, 'cat at 0.001: k·ln(200) > penalty, capped at the penalty');
  t.equal(g.bias[ball], -rules.penalty, 'no detection at all: the full penalty');
  t.equal(imageGrounding(v.words, { detections: [det('dog', 0.1)] }).bias[dog], -DEFAULT_GROUNDING_RULES.penalty, 'slope 0: flat');
});

t.test('transfer: with λ = 1 the unsupported object words\' probability goes to the allowed ones, led by the boosted', async (t) => {
  const v = tinyVocab();
  const [dog, cat, ball, a] = ['dog', 'cat', 'ball', 'a'].map((w) => v.id(w));
  const p = (w: number) => (w === cat ? 0.4 : w === dog ? 0.01 : w === ball ? 0.01 : 0.58 / (v.size - 3));
  const row = () => Float32Array.from({ length: v.size }, (_, w) => Math.log(p(w)));
  const rules = { ...DEFAULT_GROUNDING_RULES, boost: Math.log(4), within: 1, transfer: true };
  const g = imageGrounding(v.words, { detections: [det('dog', 0.9), det('sports ball', 0.3)] }, rules);
  const out = row();
  applyGrounding(out, 0, [a], g);
  const mass = (w: number) => Math.exp(out[w]);
  // O = {dog (boost ×4), ball (×1)}: the model's object mass 0.42 (cat's 0.4 included) is shared 4 : 1.
  t.ok(Math.abs(mass(dog) - 0.42 * 0.8) < 1e-5, `dog gets 4/5 of 0.42: ${mass(dog)}`);
  t.ok(Math.abs(mass(ball) - 0.42 * 0.2) < 1e-5, `ball 1/5: ${mass(ball)}`);
  t.ok(mass(cat) < 1e-4, 'cat is not said');
  const without = row();
  applyGrounding(without, 0, [a], imageGrounding(v.words, { detections: [det('dog', 0.9), det('sports ball', 0.3)] }, { ...rules, transfer: false }));
  t.ok(Math.abs(Math.exp(without[dog]) - 0.02 * 0.8) < 1e-5, 'without transfer the allowed words keep only their own 0.02');
  const named = row();
  applyGrounding(named, 0, [a, dog], g);
  t.ok(Math.abs(Math.exp(named[ball]) - 0.01) < 1e-6, 'nothing boosted any more (dog named): no transfer, ball keeps its own');
});

t.test('transfer keeps number: a plural unsupported word\'s probability goes to the plural allowed words', async (t) => {
  const words = ['<pad>', '<start>', '<end>', '<unk>', 'a', 'two', 'man', 'men', 'bus', 'buses', 'dog', 'dogs', 'lady', 'ladies', 'people', 'grass'];
  const id = (w: string) => words.indexOf(w);
  const plural = pluralObjectWords(words);
  t.same(['men', 'buses', 'dogs', 'ladies', 'people'].map((w) => plural[id(w)]), [1, 1, 1, 1, 1], 'men, buses, dogs, ladies, people are plural');
  t.same(['man', 'bus', 'dog', 'lady', 'grass'].map((w) => plural[id(w)]), [0, 0, 0, 0, 0], 'man, bus, dog, lady and a non-object word are not');
  const p = (w: string) => ({ man: 0.2, men: 0.1, bus: 0.01, buses: 0.01 } as Record<string, number>)[w] ?? 0.01;
  const row = Float32Array.from(words, (w) => Math.log(p(w)));
  applyGrounding(row, 0, [id('two')], imageGrounding(words, { detections: [det('bus', 0.9)] }, { ...DEFAULT_GROUNDING_RULES, within: 1, transfer: true }));
  // Unsupported singular: man 0.2, dog 0.01, lady 0.01; plural: men 0.1, dogs, ladies, people 0.01 each.
  t.ok(Math.abs(Math.exp(row[id('bus')]) - 0.23) < 1e-5, `bus: its own 0.01 + the singular 0.22 (${Math.exp(row[id('bus')])})`);
  t.ok(Math.abs(Math.exp(row[id('buses')]) - 0.14) < 1e-5, `buses: its own 0.01 + the plural 0.13 (${Math.exp(row[id('buses')])})`);
});

t.test('attend: among the allowed object words, the one whose boxes the step\'s map falls on is preferred by its lift', async (t) => {
  const v = tinyVocab();
  const [dog, ball, a] = ['dog', 'ball', 'a'].map((w) => v.id(w));
  const grid = { h: 2, w: 2 };
  // Dog on the left half (cells 0 and 2), ball on the right half (cells 1 and 3).
  const detections = [{ ...det('dog', 0.9), x1: 0, y1: 0, x2: 0.5, y2: 1 }, { ...det('sports ball', 0.9), x1: 0.5, y1: 0, x2: 1, y2: 1 }];
  const row = () => Float32Array.from({ length: v.size }, (_, w) => Math.log(w === dog || w === ball ? 0.05 : 0.9 / (v.size - 2)));
  const left = Float32Array.of(0.4, 0.05, 0.4, 0.15); // dog's cells hold 0.8 (lift 1.6), ball's 0.2 (lift 0.4)
  const run = (attend: number, alpha: Float32Array, input: object = { detections, grid }) => {
    const out = row();
    applyGrounding(out, 0, [a], imageGrounding(v.words, input, { ...DEFAULT_GROUNDING_RULES, attend }), alpha);
    return out;
  };
  const off = run(0, left);
  t.ok(Math.abs(off[dog] - off[ball]) < 1e-6, 'κ = 0: the map plays no part');
  const on = run(1, left);
  t.ok(Math.abs(on[dog] - on[ball] - Math.log(1.6 / 0.4)) < 1e-5, `κ = 1: dog ahead of ball by log(1.6 / 0.4) (${on[dog] - on[ball]})`);
  const total = (r: Float32Array) => Math.exp(r[dog]) + Math.exp(r[ball]);
  t.ok(Math.abs(total(on) - total(off)) < 1e-6, 'λ = 1: the map chooses which object, not whether one is named');
  const right = run(2, Float32Array.of(0.05, 0.4, 0.15, 0.4));
  t.ok(right[ball] - right[dog] > 2 * Math.log(4) - 1e-5, 'looking at the ball (κ = 2): ball ahead by 2·log 4');
  const noGrid = run(1, left, { detections });
  t.ok(Math.abs(noGrid[dog] - noGrid[ball]) < 1e-6, 'without the grid the rule is off');
  const noMap = new Float32Array(v.size).fill(0);
  applyGrounding(noMap, 0, [a], imageGrounding(v.words, { detections, grid }, { ...DEFAULT_GROUNDING_RULES, attend: 1 }));
  t.equal(noMap[dog], noMap[ball], 'a search without maps: the rule is off');
});

t.test('categoryWord: a singular slot gets a singular word, a plural slot a plural one', async (t) => {
  const words = ['dog', 'dogs', 'sheep', 'lambs', 'hamburgers', 'bus', 'buses'];
  const id = (w: string) => (words.includes(w) ? words.indexOf(w) : undefined);
  const name = (c: string, plural: boolean) => { const v = categoryWord(c, plural, id); return v === undefined ? undefined : words[v]; };
  t.equal(name('dog', false), 'dog');
  t.equal(name('dog', true), 'dogs');
  t.equal(name('bus', true), 'buses');
  t.equal(name('sheep', true), 'sheep', '"sheep" is its own plural (not "lambs")');
  t.equal(name('sandwich', false), undefined, 'only "hamburgers" in the vocabulary: no singular word ("a food" never becomes "a hamburgers")');
  t.equal(name('sandwich', true), 'hamburgers', '… but a plural slot can take it');
  t.equal(name('giraffe', false), undefined, 'no word at all');
});

t.test('generalise: an unsupported animal word hands its probability to the generic word, unless transfer takes it', async (t) => {
  const words = ['<pad>', '<start>', '<end>', '<unk>', 'a', 'animal', 'animals', 'dog', 'dogs', 'cat', 'vehicle', 'car', 'man', 'person', 'grass'];
  const id = (w: string) => words.indexOf(w);
  const p: Record<string, number> = { dog: 0.5, dogs: 0.1, cat: 0.05, car: 0.05, animal: 0.01, animals: 0.01, man: 0.1 };
  const row = () => Float32Array.from(words, (w) => Math.log(p[w] ?? 0.01));
  const rules = { ...DEFAULT_GROUNDING_RULES, within: 1, transfer: true };
  const near = (a: number, b: number) => Math.abs(a - b) < 1e-5;
  // A person, and ImageNet sees some animal (a dog breed 0.1 + tabby 0.12: no animal reaches the
  // floor, all of them together do): the dog is not backed, yet an animal is there.
  const someAnimal = { detections: [det('person', 0.3)], imagenet: [{ index: 151, score: 0.1 }, { index: 281, score: 0.12 }] };
  const out = row();
  applyGrounding(out, 0, [id('grass')], imageGrounding(words, someAnimal, rules));
  t.ok(near(Math.exp(out[id('animal')]), 0.01 + 0.5 + 0.05), `animal: its own 0.01 + dog 0.5 + cat 0.05 (${Math.exp(out[id('animal')])})`);
  t.ok(near(Math.exp(out[id('animals')]), 0.01 + 0.1), 'animals: + dogs (number kept)');
  t.ok(near(Math.exp(out[id('vehicle')]), 0.01), 'vehicle words are not generalised (nobody calls a car "a vehicle")');
  t.ok(out[id('dog')] < Math.log(0.5) - rules.penalty + 1e-5, 'dog itself is still not said');
  t.ok(near(Math.exp(out[id('man')]), 0.1), 'person words have no generic word: man (supported) keeps its own');
  // A confident cat: transfer gives the singular unsupported mass to "cat"; "animal" keeps its own.
  const none = row();
  applyGrounding(none, 0, [id('grass')], imageGrounding(words, { detections: [det('person', 0.3), det('dog', 0.15)] }, rules));
  t.ok(near(Math.exp(none[id('animal')]), 0.01), 'no evidence of any animal (best 0.15): "a dog" does not become "an animal"');
  const cat = row();
  applyGrounding(cat, 0, [id('grass')], imageGrounding(words, { detections: [det('person', 0.3), det('cat', 0.9)], imagenet: someAnimal.imagenet }, { ...rules, refine: false }));
  t.ok(near(Math.exp(cat[id('animal')]), 0.01), `transfer took it: animal keeps 0.01 (${Math.exp(cat[id('animal')])})`);
  t.ok(near(Math.exp(cat[id('animals')]), 0.01 + 0.1), 'no confident plural word: dogs still go to animals');
  const off = row();
  applyGrounding(off, 0, [id('grass')], imageGrounding(words, someAnimal, { ...rules, generalise: false }));
  const afterA = row();
  applyGrounding(afterA, 0, [id('a')], imageGrounding(words, someAnimal, rules));
  t.ok(near(Math.exp(afterA[id('animal')]), 0.01), 'right after "a": nothing moves ("a animal" is not English; "a black animal" one word later)');
  t.ok(near(Math.exp(off[id('animal')]), 0.01), 'generalise: false leaves "animal" alone');
  const noDetector = row();
  applyGrounding(noDetector, 0, [id('grass')], imageGrounding(words, { imagenet: [{ index: 404, score: 0.5 }] }, rules));
  t.ok(near(Math.exp(noDetector[id('animal')]), 0.01), 'no detector: nothing is unsupported, nothing generalised');
});

t.test('phrases: a confident category without a word is named by its two words, and a begun name is finished', async (t) => {
  const words = ['<pad>', '<start>', '<end>', '<unk>', 'a', 'stop', 'sign', 'man', 'near', 'grass'];
  const id = (w: string) => words.indexOf(w);
  const row = () => Float32Array.from(words, (w) => Math.log(w === 'man' ? 0.3 : 0.01));
  const rules = { ...DEFAULT_GROUNDING_RULES, within: 1, transfer: true };
  const g = imageGrounding(words, { detections: [det('stop sign', 0.9)] }, rules);
  t.same(Array.from(g.phrases), [id('stop'), id('sign'), cls('stop sign')]);
  const first = row();
  applyGrounding(first, 0, [id('a')], g);
  t.ok(Math.abs(Math.exp(first[id('stop')]) - 0.31) < 1e-5, `"stop" takes the unsupported "man"'s 0.3 (${Math.exp(first[id('stop')])})`);
  const next = row();
  applyGrounding(next, 0, [id('a'), id('stop')], g);
  t.ok(words.every((w, v) => v === id('sign') || next[v] <= Math.log(0.3) - rules.penalty + 1e-5), 'after "stop" only "sign" can follow');
  t.ok(Math.abs(next[id('sign')] - Math.log(0.01)) < 1e-6, '"sign" keeps its own');
  const named = row();
  applyGrounding(named, 0, [id('a'), id('stop'), id('sign')], g);
  t.ok(Math.abs(named[id('stop')] - Math.log(0.01)) < 1e-5, 'once named, no boost and no transfer to "stop"');
  const unseen = imageGrounding(words, { detections: [det('stop sign', 0.3)] }, rules);
  t.equal(unseen.phrases.length, 0, 'not confident: "stop" is an ordinary word');
  const after = row();
  applyGrounding(after, 0, [id('a'), id('stop')], unseen);
  t.ok(Math.abs(after[id('near')] - Math.log(0.01)) < 1e-6, '… and nothing is forced after it');
  t.equal(imageGrounding(words, { detections: [det('stop sign', 0.9)] }, { ...rules, phrases: false }).phrases.length, 0, 'phrases: false');
});

t.test('generalise stops once the caption names an animal', async (t) => {
  const words = ['<pad>', '<start>', '<end>', '<unk>', 'a', 'and', 'animal', 'horse', 'dog'];
  const id = (w: string) => words.indexOf(w);
  const row = () => Float32Array.from(words, (w) => Math.log(w === 'dog' ? 0.5 : 0.05));
  const g = imageGrounding(words, { detections: [det('horse', 0.5)], imagenet: [{ index: 151, score: 0.1 }] }, DEFAULT_GROUNDING_RULES);
  const first = row();
  applyGrounding(first, 0, [id('a')], g);
  t.ok(first[id('horse')] > Math.log(0.5), 'the horse is unnamed: transfer gives it the dog\'s probability');
  const after = row();
  applyGrounding(after, 0, [id('a'), id('horse'), id('and'), id('a')], g);
  t.ok(Math.abs(after[id('animal')] - Math.log(0.05)) < 1e-6, '"a horse and a …": "animal" keeps only its own');
});
