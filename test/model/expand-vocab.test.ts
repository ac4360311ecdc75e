// Vocabulary expansion: the source word chosen from caption contexts, its rows copied under new
// ids, the model unchanged otherwise, and the new word said only when the photo supports it.
import t from 'tap';
import { initBackend } from '../../src/runtime/backend.ts';
import { START_ID } from '../../src/data/vocab.ts';
import { contextVectors, similarity } from '../../src/data/cooccurrence.ts';
import { COCO_CATEGORIES } from '../../src/detector/types.ts';
import { beamSearch } from '../../src/decoding/beam.ts';
import { DEFAULT_GROUNDING_RULES, imageGrounding } from '../../src/decoding/grounding.ts';
import { Decoder } from '../../src/model/tfjs-decoder.ts';
import { copyCandidates, expandDecoder, missingCategoryWords, planExpansion } from '../../src/model/expand-vocab.ts';
import { initParams, paramLayout, view } from '../../src/model/params.ts';
import { TfjsStepDecoder } from '../../src/model/tfjs-step.ts';
import { mulberry32 } from '../../src/util/rng.ts';
import { randomFeatures, tinyConfig, tinyVocab } from '../helpers/tiny.ts';

await initBackend();

t.test('context vectors: words in the same contexts are near, others not', async (t) => {
  const text = [
    'a zebra grazing in the field', 'two zebras grazing in the field', 'a horse grazing in the field', 'a dog runs on the grass',
    'the dog catches a ball', 'a cat sits on the mat', 'a zebra stands in the grass',
  ].map((s) => s.split(' '));
  const cv = contextVectors(text, new Set(['zebra', 'horse', 'dog', 'cat']));
  t.equal(cv.counts.get('zebra'), 2);
  t.ok(similarity(cv, 'zebra', 'horse') > similarity(cv, 'zebra', 'dog'), 'zebra is nearer horse than dog');
  t.ok(Math.abs(similarity(cv, 'horse', 'horse') - 1) < 1e-9, 'a word is its own nearest');
  t.equal(similarity(cv, 'zebra', 'giraffe'), 0, 'no vector, no similarity');
});

t.test('the plan: missing categories\' words, copied from a frequent known object word of another category', async (t) => {
  const vocab = tinyVocab(); // dog, cat, ball are known; zebra is not
  const missing = missingCategoryWords(vocab).map((m) => m.word);
  t.ok(missing.includes('zebra') && missing.includes('giraffes'), 'zebra and giraffe are missing');
  t.notOk(missing.includes('kitten'), 'cat has a word already: kitten is not added');
  t.same(copyCandidates(vocab), ['dog', 'cat', 'ball'].filter((w) => vocab.has(w)).sort((a, b) => vocab.id(a) - vocab.id(b)));
  const text = Array.from({ length: 120 }, () => ['a zebra sleeps on the mat', 'a cat sleeps on the mat', 'a dog runs on the grass', 'the red ball on the grass'].map((s) => s.split(' '))).flat();
  const { added, skipped } = planExpansion(vocab, contextVectors(text, new Set(['zebra', 'dog', 'cat', 'ball'])));
  t.same(added.map((a) => [a.word, a.from]), [['zebra', 'cat']], 'zebra sleeps on the mat like the cat');
  t.ok(skipped.includes('giraffe'), 'no context in the text: skipped, not guessed');
});

t.test('expandDecoder: rows copied under new ids, everything else unchanged; said only with support', async (t) => {
  const cfg = tinyConfig();
  const vocab = tinyVocab();
  const params = initParams(cfg, mulberry32(7));
  const cat = vocab.id('cat');
  const V = vocab.size;
  const x = expandDecoder({ config: cfg, vocab, params }, [{ word: 'zebra', category: 'zebra', from: 'cat', similarity: 0.5 }]);
  t.equal(x.vocab.id('zebra'), V, 'appended: the next id');
  t.equal(x.config.vocabSize, V + 1);
  t.same(x.config.supportedOnly, ['zebra']);
  t.match(x.card, { vocabularyExpansion: { words: [{ word: 'zebra', from: 'cat' }] } });
  const o = paramLayout(cfg).specs, n = paramLayout(x.config).specs;
  const p = (flat: Float32Array, specs: typeof o, name: string) => view(flat, specs.find((s) => s.name === name)!);
  const m = cfg.embedDim;
  t.same(Array.from(p(x.params, n, 'embed').subarray(V * m, (V + 1) * m)), Array.from(p(params, o, 'embed').subarray(cat * m, (cat + 1) * m)), 'embedding row of cat');
  const outW = p(params, o, 'outW'), outW2 = p(x.params, n, 'outW');
  for (const r of [0, 5, m - 1]) {
    t.equal(outW2[r * (V + 1) + V], outW[r * V + cat], `output column, row ${r}: cat's`);
    t.equal(outW2[r * (V + 1) + 3], outW[r * V + 3], `row ${r}: old columns in place`);
  }
  t.equal(p(x.params, n, 'outB')[V], p(params, o, 'outB')[cat], 'output bias of cat');
  t.same(Array.from(p(x.params, n, 'lstmEmb')), Array.from(p(params, o, 'lstmEmb')), 'other parameters unchanged');
  t.same(expandDecoder(x, [{ word: 'zebra', category: 'zebra', from: 'cat', similarity: 0.5 }]).config.vocabSize, V + 1, 'running it again adds nothing');

  // The decoder now gives zebra exactly cat's log-probability; the search says it only with support.
  const d = new Decoder(x.config, x.vocab, x.params);
  t.teardown(() => d.dispose());
  const steps = new TfjsStepDecoder(d);
  const f = randomFeatures(1, x.config, 3);
  const init = steps.init(f, 1);
  const out = steps.step(init, new Int32Array([START_ID]));
  t.equal(out.logprobs[V], out.logprobs[cat], 'p(zebra) = p(cat)');
  steps.release(init);
  steps.release(out.state);
  const zebra = (h: { ids: number[] }) => h.ids.includes(V);
  const off = beamSearch(steps, f, { beamSize: 3, nBest: 3, maxLength: 6, lengthPenalty: 0 });
  t.notOk(off.some(zebra), 'grounding off: never said');
  const det = (name: string) => [{ classIndex: COCO_CATEGORIES.indexOf(name as 'zebra'), score: 0.9, x1: 0, y1: 0, x2: 1, y2: 1 }];
  const noZebra = imageGrounding(x.vocab.words, { detections: det('dog') }, undefined, x.config.supportedOnly);
  // a plain boost (not within): on random weights the tiny model hardly names any object by itself
  const withZebra = imageGrounding(x.vocab.words, { detections: det('zebra') }, { ...DEFAULT_GROUNDING_RULES, within: 0 }, x.config.supportedOnly);
  t.notOk(beamSearch(steps, f, { beamSize: 3, nBest: 3, maxLength: 6, lengthPenalty: 0, grounding: [noZebra] }).some(zebra), 'no zebra detected: never said');
  t.ok(beamSearch(steps, f, { beamSize: 3, nBest: 3, maxLength: 6, lengthPenalty: 0, grounding: [withZebra] }).some(zebra), 'zebra detected: said');
});
