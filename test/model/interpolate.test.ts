// Weight-space interpolation: endpoints give back each model, the middle is the mean of each
// parameter, and models that cannot be mixed are refused.
import t from 'tap';
import { interpolateDecoders } from '../../src/model/interpolate.ts';
import { initParams } from '../../src/model/params.ts';
import { mulberry32 } from '../../src/util/rng.ts';
import { Vocabulary } from '../../src/data/vocab.ts';
import { TINY_WORDS, tinyConfig, tinyVocab } from '../helpers/tiny.ts';

const config = tinyConfig();
const vocab = tinyVocab();
const a = { config, vocab, params: initParams(config, mulberry32(1)) };
const b = { config, vocab, params: initParams(config, mulberry32(2)) };

t.test('w = 0 and w = 1 return the two models; w = 0.25 mixes each parameter', async (t) => {
  t.same(Array.from(interpolateDecoders(a, b, 0).params), Array.from(a.params));
  t.same(Array.from(interpolateDecoders(a, b, 1).params), Array.from(b.params));
  const q = interpolateDecoders(a, b, 0.25).params;
  let worst = 0;
  for (let i = 0; i < q.length; i++) worst = Math.max(worst, Math.abs(q[i] - (0.75 * a.params[i] + 0.25 * b.params[i])));
  t.ok(worst < 1e-6, `largest difference ${worst}`);
  t.not(q[0], a.params[0], 'not a copy of either model');
});

t.test('refuses a weight outside [0, 1], other layouts, attention or vocabularies', async (t) => {
  t.throws(() => interpolateDecoders(a, b, 1.5), /\[0, 1\]/);
  t.throws(() => interpolateDecoders(a, b, Number.NaN), /\[0, 1\]/);
  const wide = tinyConfig({ hiddenDim: config.hiddenDim * 2 });
  t.throws(() => interpolateDecoders(a, { config: wide, vocab, params: initParams(wide, mulberry32(3)) }, 0.5), /layouts/);
  const hard = { ...config, attention: config.attention === 'hard' ? ('soft' as const) : ('hard' as const) };
  t.throws(() => interpolateDecoders(a, { ...b, config: hard }, 0.5), /attention/);
  const other = Vocabulary.build([TINY_WORDS.map((w) => (w === 'cat' ? 'cow' : w))], 1);
  t.equal(other.size, vocab.size, 'same size, one word differs');
  t.throws(() => interpolateDecoders(a, { ...b, vocab: other }, 0.5), /vocabularies/);
});
