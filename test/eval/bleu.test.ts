import t from 'tap';
import { bleu } from '../../src/eval/bleu.ts';

t.test('identical hypothesis and reference give BLEU 1', async (t) => {
  const { corpus, perItem } = bleu([{ hypothesis: 'a dog runs on the grass', references: ['a dog runs on the grass'] }]);
  for (const v of [...corpus, ...perItem[0]]) t.ok(Math.abs(v - 1) < 1e-9, `${v} ~ 1`);
});

t.test('clipped counts and the tiny/small epsilons', async (t) => {
  // hyp "the the the the", ref "the cat":
  //   unigrams: "the" x4 in hyp, at most 1 in a ref -> correct 1 of guess 4
  //   bigrams:  "the the" x3, never in the ref     -> correct 0 of guess 3
  //   testlen 4 >= reflen 2, so no brevity penalty.
  //   BLEU-1 = (1 + 1e-15) / (4 + 1e-9)
  //   BLEU-2 = sqrt(BLEU-1 * (0 + 1e-15) / (3 + 1e-9))   (tiny, not 0)
  const { perItem } = bleu([{ hypothesis: 'the the the the', references: ['the cat'] }]);
  const p1 = (1 + 1e-15) / (4 + 1e-9);
  const p2 = 1e-15 / (3 + 1e-9);
  t.equal(perItem[0][0], p1);
  t.ok(Math.abs(perItem[0][1] - Math.sqrt(p1 * p2)) < 1e-20);
  t.ok(perItem[0][1] > 0, 'zero matches still give a positive score');
});

t.test('closest reference length: ties go to the shorter reference', async (t) => {
  // hyp has 3 words; refs have 2 and 4 (both 1 away). Choosing 2 means no
  // brevity penalty; choosing 4 would multiply by exp(1 - 4/3) ~ 0.72.
  const { perItem } = bleu([{ hypothesis: 'a dog runs', references: ['a dog', 'a dog runs fast'] }]);
  t.ok(Math.abs(perItem[0][0] - 1) < 1e-9);
});

t.test('corpus BLEU sums statistics; per-item uses each item\'s own ref length', async (t) => {
  // item A: hyp "a dog" (2), ref length 5 -> BLEU-1 = 1 * exp(1 - 5/2)
  // item B: exact match (3 words)         -> BLEU-1 = 1
  // corpus: 5 of 5 unigrams correct, testlen 5, reflen 8 -> exp(1 - 8/5)
  const { corpus, perItem } = bleu([
    { hypothesis: 'a dog', references: ['a dog runs on grass'] },
    { hypothesis: 'a cat sleeps', references: ['a cat sleeps'] },
  ]);
  t.ok(Math.abs(perItem[0][0] - Math.exp(1 - 5 / 2)) < 1e-9);
  t.ok(Math.abs(perItem[1][0] - 1) < 1e-9);
  t.ok(Math.abs(corpus[0] - Math.exp(1 - 8 / 5)) < 1e-9);
});

t.test('rejects inputs the coco scorers reject', async (t) => {
  t.throws(() => bleu([]));
  t.throws(() => bleu([{ hypothesis: 'a dog', references: [] }]));
});
