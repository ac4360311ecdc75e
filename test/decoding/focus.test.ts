// Focus maps (src/decoding/focus.ts): the posterior over locations given the word, on hand-computed
// numbers, and its likelihood term on a tiny random decoder on both runtimes.
import t from 'tap';
import { initBackend } from '../../src/runtime/backend.ts';
import { FINE_SUPPORT_MASS, focusMaps, objectSteps, posterior, support, upsample } from '../../src/decoding/focus.ts';
import { OrtDecoder } from '../../src/model/ort-decoder.ts';
import { TfjsStepDecoder } from '../../src/model/tfjs-step.ts';
import type { StepDecoder } from '../../src/model/step.ts';
import { START_ID } from '../../src/data/vocab.ts';
import { argmaxChooser, decodeStepwise } from '../../src/decoding/stepwise.ts';
import { beamSearchBatch } from '../../src/decoding/beam.ts';
import type { WordStep } from '../../src/decoding/types.ts';
import { randomFeatures, tinyDecoder } from '../helpers/tiny.ts';

await initBackend();
const TOL = 1e-5;
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((d, x, i) => Math.max(d, Math.abs(x - b[i])), 0);

t.test('posterior: α_i · p(word | i), normalised', async (t) => {
  // 0.5·0.1 : 0.25·0.4 : 0.25·0.2 = 0.05 : 0.1 : 0.05
  const p = posterior([0.5, 0.25, 0.25], [Math.log(0.1), Math.log(0.4), Math.log(0.2)]);
  t.ok(maxDiff(p, [0.25, 0.5, 0.25]) < 1e-7, `hand-computed (${Array.from(p).join(', ')})`);
  // Log-likelihoods far below exp's range still give a distribution.
  const q = posterior([0.5, 0.5], [-2000, -2000 + Math.log(3)]);
  t.ok(maxDiff(q, [0.25, 0.75]) < 1e-7, 'no underflow at log-likelihood −2000');
  t.throws(() => posterior([1], [0, 0]), /1 attention weights but 2 likelihoods/);
});

t.test('objectSteps: the words that name a COCO category, both words of a two-word name', async (t) => {
  t.same([...objectSteps('a man stands by a stop sign'.split(' '))].sort(), [1, 5, 6]);
  t.same([...objectSteps('two dogs run on the grass'.split(' '))], [1]);
  t.same(objectSteps('a red and white building'.split(' ')).size, 0);
});

function decoders(seed: number) {
  const dec = tinyDecoder(seed);
  return { tfjs: new TfjsStepDecoder(dec), ort: new OrtDecoder(dec.config, dec.vocab, dec.flat, { intraOpThreads: 1 }) };
}

t.test('the word likelihood per location: ORT and tfjs agree; with identical locations it is the step\'s own log p', async (t) => {
  const { tfjs, ort } = decoders(4);
  t.teardown(() => { tfjs.dispose(); ort.dispose(); });
  const cfg = tfjs.config;
  const L = cfg.grid.h * cfg.grid.w;
  const dog = tfjs.vocab.id('dog');
  const like = <S>(d: StepDecoder<S>, features: Float32Array) => {
    const s0 = d.init(features, 2);
    const r = d.step(s0, Int32Array.of(START_ID, START_ID));
    const image1 = features.subarray(L * cfg.featureDim);
    const out = { loglik: d.wordLogLikelihood(image1, d.hidden(r.state).slice(cfg.hiddenDim), START_ID, r.beta[1], dog), logprob: r.logprobs[cfg.vocabSize + dog], alpha: r.alpha.slice(L) };
    d.release(s0);
    d.release(r.state);
    return out;
  };
  const features = randomFeatures(2, cfg, 9);
  const [a, b] = [like(tfjs, features), like(ort, features)];
  t.equal(a.loglik.length, L, 'one value per location');
  t.ok(maxDiff(a.loglik, b.loglik) < TOL, `row 1 (image 1): ORT and tfjs within ${TOL} (max diff ${maxDiff(a.loglik, b.loglik).toExponential(2)})`);
  t.ok(Math.max(...a.loglik) - Math.min(...a.loglik) > 1e-3, 'different locations, different likelihoods');

  // Every location of image 1 holds the same vector: z = β a_i is the expected context itself,
  // so each location's likelihood is the step's log p(dog), and the focus is α (uniform).
  const same = features.slice();
  const D = cfg.featureDim;
  for (let i = 1; i < L; i++) same.copyWithin(L * D + i * D, L * D, L * D + D);
  for (const [name, d] of [['tfjs', tfjs], ['ORT', ort]] as const) {
    const r = like(d as StepDecoder, same);
    t.ok(maxDiff(r.loglik, new Float32Array(L).fill(r.logprob)) < TOL, `${name}: every location gives the step's log p(dog) = ${r.logprob.toFixed(4)}`);
    t.ok(maxDiff(posterior(r.alpha, r.loglik), r.alpha) < TOL, `${name}: the focus is α`);
  }
});

/** The steps of a given caption, teacher-forced: what a search keeps with maps on. */
function forced<S>(d: StepDecoder<S>, features: Float32Array, ids: number[]): WordStep[] {
  let state = d.init(features, 1);
  let prev = START_ID;
  const steps = ids.map((id) => {
    const r = d.step(state, Int32Array.of(prev));
    d.release(state);
    state = r.state;
    prev = id;
    return { id, word: d.vocab.words[id], logprob: r.logprobs[id], beta: r.beta[0], alpha: r.alpha.slice(), hidden: d.hidden(r.state).slice() };
  });
  d.release(state);
  return steps;
}

t.test('focusMaps: a map on each object word only, a distribution, the same on both runtimes', async (t) => {
  const { tfjs, ort } = decoders(5);
  t.teardown(() => { tfjs.dispose(); ort.dispose(); });
  const words = 'a dog sits on the mat by a cat'.split(' ');
  const ids = words.map((w) => tfjs.vocab.id(w));
  const features = randomFeatures(1, tfjs.config, 6);
  const [a, b] = [focusMaps(tfjs, features, { words, ids, steps: forced(tfjs, features, ids) }), focusMaps(ort, features, { words, ids, steps: forced(ort, features, ids) })];
  t.same(a.map((m, i) => (m ? words[i] : '')).filter(Boolean), ['dog', 'cat'], 'maps on "dog" and "cat"');
  for (const i of [1, 8]) {
    t.ok(Math.abs(a[i]!.reduce((s, v) => s + v, 0) - 1) < 1e-5, `"${words[i]}": sums to 1`);
    t.ok(maxDiff(a[i]!, b[i]!) < TOL, `"${words[i]}": ORT and tfjs within ${TOL}`);
  }
  const noMaps = forced(tfjs, features, ids).map((s) => ({ ...s, alpha: new Float32Array(0), hidden: undefined }));
  t.same(focusMaps(tfjs, features, { words, ids, steps: noMaps }), ids.map(() => undefined), 'decoded without maps: no focus maps');
});

t.test('upsample: bilinear between cell centres, edges clamped, renormalised', async (t) => {
  // 2×2 → 4×4: fine cell centres sit at coarse coordinates 0 (clamped from −¼), ¼, ¾, 1 (clamped
  // from 1¼) on each axis, so a unit top-left cell gives (1 − y)(1 − x) = outer(1, ¾, ¼, 0), sum 4.
  const w = [1, 0.75, 0.25, 0];
  const want = w.flatMap((y) => w.map((x) => (y * x) / 4));
  t.ok(maxDiff(upsample([1, 0, 0, 0], { h: 2, w: 2 }, { h: 4, w: 4 }), want) < 1e-7, 'hand-computed');
  t.ok(maxDiff(upsample(new Float32Array(12).fill(1 / 12), { h: 3, w: 4 }, { h: 6, w: 8 }), new Float32Array(48).fill(1 / 48)) < 1e-7, 'uniform stays uniform');
  const m = [0.1, 0.2, 0.3, 0.4];
  t.ok(maxDiff(upsample(m, { h: 2, w: 2 }, { h: 2, w: 2 }), m) < 1e-7, 'the same grid: unchanged');
  t.throws(() => upsample([1, 0, 0], { h: 2, w: 2 }, { h: 4, w: 4 }), /3 values for a 2x2 grid/);
  t.throws(() => upsample([0, 0, 0, 0], { h: 2, w: 2 }, { h: 4, w: 4 }), /no mass/);
});

t.test('support: the fewest cells holding the mass, largest first', async (t) => {
  t.same(support([0.1, 0.5, 0.15, 0.25], 0.7), [1, 3], '0.5 + 0.25 ≥ 0.7');
  t.same(support([0.1, 0.5, 0.15, 0.25], 0.75), [1, 3], 'exactly reached');
  t.same(support([0.1, 0.5, 0.15, 0.25], 0.76), [1, 3, 2]);
  t.same(support([0.25, 0.25, 0.25, 0.25], 1), [0, 1, 2, 3], 'all of it: every cell');
});

t.test('fine focus maps: the likelihood on a finer grid of features (any L), refined from the coarse focus; the same on both runtimes', async (t) => {
  const { tfjs, ort } = decoders(7);
  t.teardown(() => { tfjs.dispose(); ort.dispose(); });
  const cfg = tfjs.config;
  const { h, w } = cfg.grid;
  const D = cfg.featureDim;
  const fineGrid = { h: 2 * h, w: 2 * w };
  const words = 'a dog sits on the mat by a cat'.split(' ');
  const ids = words.map((x) => tfjs.vocab.id(x));
  const features = randomFeatures(1, cfg, 8);
  // Each coarse vector repeated over its 2×2 fine cells: the fine likelihood is the coarse one, repeated.
  const replicated = new Float32Array(4 * h * w * D);
  for (let r = 0; r < 2 * h; r++) for (let c = 0; c < 2 * w; c++) replicated.set(features.subarray((((r >> 1) * w) + (c >> 1)) * D, (((r >> 1) * w) + (c >> 1) + 1) * D), (r * 2 * w + c) * D);
  const other = randomFeatures(4, cfg, 9); // four images' worth of vectors = one image on the 2× grid
  for (const [name, d] of [['tfjs', tfjs], ['ORT', ort]] as const) {
    const steps = forced(d as StepDecoder, features, ids);
    const s = steps[1]; // "dog"
    const coarse = d.wordLogLikelihood(features, s.hidden!, ids[0], s.beta, ids[1]);
    const fine = d.wordLogLikelihood(replicated, s.hidden!, ids[0], s.beta, ids[1]);
    t.equal(fine.length, 4 * h * w, `${name}: one likelihood per fine location`);
    t.ok(maxDiff(fine, Array.from(fine, (_, j) => coarse[((Math.floor(j / (2 * w)) >> 1) * w) + ((j % (2 * w)) >> 1)])) < TOL, `${name}: repeated vectors, repeated likelihoods`);
    const maps = focusMaps(d as StepDecoder, features, { words, ids, steps }, { features: other, grid: fineGrid });
    const plain = focusMaps(d as StepDecoder, features, { words, ids, steps });
    // The rule by hand: up(coarse focus) × the fine likelihood on the cells holding 99% of it,
    // × the likelihood of the coarse parent cell (fine cell r, c → r >> 1, c >> 1) elsewhere.
    const prior = upsample(plain[1]!, cfg.grid, fineGrid);
    const kept = new Set(support(prior, FINE_SUPPORT_MASS));
    t.ok(kept.size > 0 && kept.size < 4 * h * w, `${name}: the fine likelihood on ${kept.size} of ${4 * h * w} cells`);
    const fineLik = d.wordLogLikelihood(other, s.hidden!, ids[0], s.beta, ids[1]);
    const want = posterior(prior, Array.from(prior, (_, j) => (kept.has(j) ? fineLik[j] : coarse[((Math.floor(j / (2 * w)) >> 1) * w) + ((j % (2 * w)) >> 1)])));
    t.equal(maps[1]!.length, 4 * h * w, `${name}: "dog" has a map on the fine grid`);
    t.ok(maxDiff(maps[1]!, want) < TOL, `${name}: p(j | dog) ∝ up(coarse focus)_j · p(dog | location j), fine where the prior has mass`);
    t.equal(maps[2], undefined, `${name}: still none for "sits"`);
  }
  const [a, b] = [tfjs, ort].map((d) => focusMaps(d as StepDecoder, features, { words, ids, steps: forced(d as StepDecoder, features, ids) }, { features: other, grid: fineGrid })[8]!);
  t.ok(maxDiff(a, b) < TOL, `"cat": ORT and tfjs within ${TOL} (max diff ${maxDiff(a, b).toExponential(2)})`);
});

t.test('the searches keep each step\'s h_t with the maps (what focus maps read)', async (t) => {
  const { tfjs } = decoders(6);
  t.teardown(() => tfjs.dispose());
  const features = randomFeatures(2, tfjs.config, 7);
  const per = features.length / 2;
  const greedy = decodeStepwise(tfjs, features, { maxLength: 6, choose: argmaxChooser, details: true, maps: true });
  const beam = beamSearchBatch(tfjs, features, { beamSize: 3, maxLength: 6, nBest: 1, lengthPenalty: 0, maps: true }).map((hs) => hs[0]);
  for (const [name, hyps] of [['greedy', greedy], ['beam 3', beam]] as const) {
    hyps.forEach((h, n) => {
      const want = forced(tfjs, features.subarray(n * per, (n + 1) * per), h.ids);
      const d = Math.max(...h.steps.map((s, i) => maxDiff(s.hidden!, want[i].hidden!)));
      t.ok(d < TOL, `${name}, image ${n} ("${h.words.join(' ')}"): h_t as teacher-forced (max diff ${d.toExponential(2)})`);
    });
  }
  const off = beamSearchBatch(tfjs, features, { beamSize: 3, maxLength: 6, nBest: 1, lengthPenalty: 0, maps: false });
  t.ok(off.every((hs) => hs[0].steps.every((s) => s.hidden === undefined)), 'maps off: no h_t kept');
});
