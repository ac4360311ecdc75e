// CHAIR_i, CHAIR_s and object recall on hand-made captions, counted by hand.
import t from 'tap';
import { chair, scoreChairItem } from '../../../src/eval/grounding/chair.ts';
import { CATEGORY_WORDS, objectMentions } from '../../../src/grounding/categories.ts';
import { COCO_CATEGORIES } from '../../../src/detector/types.ts';

t.test('the word list names every COCO category; phrases come before their words', async (t) => {
  t.same(Object.keys(CATEGORY_WORDS).sort(), [...COCO_CATEGORIES].sort(), 'all 80 categories, no others');
  t.same(objectMentions('a man eats a hot dog next to a dog'.split(' ')).map((m) => m.category), ['person', 'hot dog', 'dog'], '"hot dog" is not a dog');
  t.same(objectMentions('a teddy bear and a stop sign'.split(' ')).map((m) => [m.category, m.length]), [['teddy bear', 2], ['stop sign', 2]]);
  t.same(objectMentions('two zebras near a van'.split(' ')).map((m) => m.category), ['zebra', 'car'], 'plurals and synonyms');
});

const refs = [
  'a man rides a horse on the beach',
  'a person on a horse near the water',
  'a rider and his horse',
  'a horse walking on sand',
  'a dog runs beside a horse',
];

t.test('one image: hallucinated mentions, the truth from boxes and every reference, agreed objects need 2 references', async (t) => {
  // truth: boxed {person, horse, boat} ∪ named {person, horse, dog}; agreed (≥2 refs): person (3), horse (5); dog only 1.
  const s = scoreChairItem({ image: 'x', caption: 'a man and a dog ride a horse near a car and a car', references: refs, boxed: new Set(['person', 'horse', 'boat']) });
  t.same(s.mentions, ['person', 'dog', 'horse', 'car', 'car'], 'every mention counts, repeats too');
  t.same(s.hallucinated, ['car', 'car'], 'dog is named by a reference: not hallucinated; car is neither boxed nor named');
  t.same(s.agreed, ['horse', 'person']);
  t.same(s.recalled, ['horse', 'person']);
});

t.test('corpus scores: CHAIR_i over mentions, CHAIR_s over captions, recall micro-averaged', async (t) => {
  const boxed = new Set(['person', 'horse']);
  const r = chair([
    { image: 'a', caption: 'a man and a dog ride a horse near a car and a car', references: refs, boxed }, // 5 mentions, 2 hallucinated; recalls 2/2
    { image: 'b', caption: 'a cat on the beach', references: refs, boxed }, // 1 mention, hallucinated; recalls 0/2
    { image: 'c', caption: 'a horse on the sand', references: refs, boxed }, // 1 mention, fine; recalls 1/2
  ]);
  t.equal(r.mentions, 7);
  t.equal(r.hallucinated, 3);
  t.equal(r.chairI, 3 / 7);
  t.equal(r.chairS, 2 / 3);
  t.equal(r.agreed, 6);
  t.equal(r.recalled, 3);
  t.equal(r.recall, 0.5);
  const none = chair([{ image: 'd', caption: 'a view', references: ['a view', 'the sky'], boxed: new Set() }]);
  t.same([none.chairI, none.chairS, none.recall], [0, 0, 0], 'no mentions, no agreed objects: zeros, not NaN');
});
