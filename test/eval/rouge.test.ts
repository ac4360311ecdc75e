import t from 'tap';
import { lcsLength, rougeL, rougeLSentence } from '../../src/eval/rouge.ts';

t.test('lcsLength', async (t) => {
  t.equal(lcsLength(['a', 'b', 'c', 'd'], ['b', 'd']), 2);
  t.equal(lcsLength(['b', 'd'], ['a', 'b', 'c', 'd']), 2);
  t.equal(lcsLength([], ['a']), 0);
  t.equal(lcsLength(['x', 'a', 'y', 'b'], ['a', 'x', 'b', 'y']), 2);
});

t.test('identical hypothesis and reference give ROUGE-L 1', async (t) => {
  t.equal(rougeLSentence('a dog runs on the grass', ['a dog runs on the grass']), 1);
});

t.test('precision and recall maxima are taken separately over references', async (t) => {
  // hyp "a dog runs in the park" (6 words)
  //   ref1 "the dog runs in a park": LCS "dog runs in park" = 4 -> P 4/6, R 4/6
  //   ref2 "a dog":                  LCS 2                      -> P 2/6, R 2/2
  // P = 2/3 (ref1), R = 1 (ref2): F = (1 + 1.2^2) P R / (R + 1.2^2 P) ~ 0.8299
  const p = 2 / 3;
  const r = 1;
  const expected = ((1 + 1.44) * p * r) / (r + 1.44 * p);
  const got = rougeLSentence('a dog runs in the park', ['the dog runs in a park', 'a dog']);
  t.ok(Math.abs(got - expected) < 1e-12, `${got} ~ ${expected}`);
});

t.test('no overlap or empty hypothesis gives 0', async (t) => {
  t.equal(rougeLSentence('cat', ['a dog']), 0);
  t.equal(rougeLSentence('', ['a dog']), 0);
});

t.test('corpus ROUGE-L is the mean of item scores', async (t) => {
  const { corpus } = rougeL([
    { hypothesis: 'a dog', references: ['a dog'] },
    { hypothesis: 'cat', references: ['a dog'] },
  ]);
  t.equal(corpus, 0.5);
});
