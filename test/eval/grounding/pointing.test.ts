import t from 'tap';
import { cellCoverage, scorePointing, summarise } from '../../../src/eval/grounding/pointing.ts';
import { pointingGame } from '../../../src/eval/grounding/game.ts';
import { CATEGORY_WORDS, categoryOf } from '../../../src/grounding/categories.ts';

// A 200×100 image on a 2×4 grid: cells are 50×50, cell i = row ⌊i/4⌋, column i mod 4.
const g = { width: 200, height: 100, grid: { h: 2, w: 4 } };
// x 60..140, y 10..90: contains the centres of cells 1, 2, 5, 6 and covers 40×40 of each.
const box = [60, 10, 80, 80] as const;

t.test('coverage of cells by boxes, computed by hand', async (t) => {
  t.same(Array.from(cellCoverage(g, [box])), [0, 0.64, 0.64, 0, 0, 0.64, 0.64, 0]);
  // Overlapping boxes count their intersection once.
  const union = cellCoverage(g, [[0, 0, 50, 50], [25, 25, 50, 50]]);
  t.same(Array.from(union), [1, 0.25, 0, 0, 0.25, 0.25, 0, 0]);
});

t.test('a map peaking inside the box hits; its mass is α weighted by coverage; baselines', async (t) => {
  const s = scorePointing([0.1, 0.5, 0, 0, 0, 0, 0, 0.4], [box], g);
  t.equal(s.hit, true, 'argmax cell 1, centre (75, 25), is in the box');
  t.ok(Math.abs(s.mass - 0.5 * 0.64) < 1e-12, `mass ${s.mass}`);
  t.equal(s.centreHit, true, 'image centre (100, 50) is in the box');
  t.ok(Math.abs(s.uniformMass - 0.32) < 1e-12, 'uniform map: 4 cells × 0.64 / 8');
  t.equal(s.randomHit, 0.5, '4 of 8 cell centres are in the box');
  t.equal(s.maxAlpha, 0.5, 'sharpness: the largest α');
  t.equal(s.top5Mass, 1, 'sharpness: the 5 largest cells hold all the mass');
  const flat = scorePointing([0.3, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1], [box], g);
  t.ok(Math.abs(flat.top5Mass - 0.7) < 1e-12, `top-5 mass 0.3 + 4 × 0.1 (${flat.top5Mass})`);
  t.ok(Math.abs(summarise([s, flat]).maxAlpha - 0.4) < 1e-12, 'mean max α over words');
  t.ok(Math.abs(summarise([s, flat]).top5Mass - 0.85) < 1e-12, 'mean top-5 mass over words');
  const miss = scorePointing([0.1, 0.2, 0, 0, 0, 0, 0, 0.7], [box], g);
  t.equal(miss.hit, false, 'argmax cell 7, centre (175, 75), is outside');
  t.ok(Math.abs(miss.mass - 0.2 * 0.64) < 1e-12);
  const corner = scorePointing([1, 0, 0, 0, 0, 0, 0, 0], [[0, 0, 20, 20]], g);
  t.equal(corner.centreHit, false, 'the centre misses a corner box');
  t.equal(corner.hit, false, 'cell 0 centre (25, 25) is outside a 20×20 corner box');
  t.throws(() => scorePointing([1, 0], [box], g), /cells/);
  t.throws(() => scorePointing(new Array(8).fill(1 / 8), [], g), /no boxes/);
});

t.test('the game: object words scored with their own map, per category; words without a box are counted apart', async (t) => {
  const objects = new Map([['x.jpg', { width: 200, height: 100, boxes: new Map([['dog', [box]], ['person', [[0, 0, 20, 20] as const]]]) }]]);
  const peak = (cell: number) => Float32Array.from({ length: 8 }, (_, i) => (i === cell ? 0.65 : 0.05));
  const r = pointingGame([{ image: 'x.jpg', words: ['a', 'puppy', 'and', 'a', 'man', 'on', 'a', 'bike'], alphas: [1, 1, 1, 1, 0, 1, 1, 6].map(peak) }], objects, g.grid);
  t.same(r.items.map((i) => [i.word, i.category, i.index, i.hit]), [['puppy', 'dog', 1, true], ['man', 'person', 4, false]]);
  t.equal(r.overall.words, 2);
  t.equal(r.overall.hitRate, 0.5);
  t.equal(r.perCategory.dog.hitRate, 1);
  t.equal(r.perCategory.person.hitRate, 0);
  t.equal(r.perCategory.person.centreHitRate, 0);
  t.same(r.ungrounded, { words: 1, byCategory: { bicycle: 1 } }, '"bike" names a bicycle the image has no box for');
  t.same(summarise([]).words, 0);
  t.throws(() => pointingGame([{ image: 'y.jpg', words: [], alphas: [] }], objects, g.grid), /no entry/);
});

t.test('the word list maps each word to exactly one category', async (t) => {
  const seen = new Map<string, string>();
  for (const [cat, words] of Object.entries(CATEGORY_WORDS))
    for (const w of words) {
      t.notOk(seen.has(w) && seen.get(w) !== cat, `${w} is listed under ${seen.get(w)} and ${cat}`);
      seen.set(w, cat);
    }
  t.equal(categoryOf('puppy'), 'dog');
  t.equal(categoryOf('women'), 'person');
  t.equal(categoryOf('grass'), undefined);
});
