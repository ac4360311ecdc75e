import t from 'tap';
import { ciderD } from '../../src/eval/cider.ts';

const close = (a: number, b: number) => Math.abs(a - b) < 1e-12;

t.test('worked example: idf weights, clipping and the length penalty', async (t) => {
  // 2 images -> log(numImages) = log 2; df: dog 1, cat 1 (each in one ref set).
  // Item 1: hyp "dog dog", ref "dog".
  //   unigrams: hyp dog = 2*log2, ref dog = log2
  //     clipped: min(2log2, log2) * log2 / (|2log2| |log2|) = 0.5 (unclipped would be 1)
  //   bigrams: ref has none (norm 0) -> 0;  3-, 4-grams: none -> 0
  //   length penalty: bigram counts 1 vs 0 -> exp(-1 / (2 * 6^2))
  //   score = 10 * mean([0.5 * exp(-1/72), 0, 0, 0]) = 1.25 * exp(-1/72)
  // Item 2: hyp "cat", ref "cat": unigram cosine 1 -> 10 * 1/4 = 2.5
  const { corpus, perItem } = ciderD([
    { hypothesis: 'dog dog', references: ['dog'] },
    { hypothesis: 'cat', references: ['cat'] },
  ]);
  t.ok(close(perItem[0], 1.25 * Math.exp(-1 / 72)), `${perItem[0]}`);
  t.ok(close(perItem[1], 2.5), `${perItem[1]}`);
  t.ok(close(corpus, (perItem[0] + perItem[1]) / 2));
});

t.test('n-grams in every image\'s references carry no weight', async (t) => {
  // "a" occurs in both reference sets: idf log2 - log2 = 0. Only "dog"/"cat"
  // and the bigram count: cosine 1 for orders 1 and 2, none for 3 and 4 -> 10 * 2/4.
  const { perItem } = ciderD([
    { hypothesis: 'a dog', references: ['a dog'] },
    { hypothesis: 'a cat', references: ['a cat'] },
  ]);
  t.ok(close(perItem[0], 5));
  t.ok(close(perItem[1], 5));
});

t.test('score is averaged over references', async (t) => {
  const one = ciderD([
    { hypothesis: 'cat', references: ['cat'] },
    { hypothesis: 'dog', references: ['dog'] },
  ]).perItem[0];
  const two = ciderD([
    { hypothesis: 'cat', references: ['cat', 'bird'] },
    { hypothesis: 'dog', references: ['dog'] },
  ]).perItem[0];
  t.ok(close(two, one / 2), `${two} = ${one} / 2`);
});

t.test('a single image gives 0 (log(1) = 0 idf everywhere), as in coco-caption', async (t) => {
  t.equal(ciderD([{ hypothesis: 'a dog', references: ['a dog'] }]).corpus, 0);
});
