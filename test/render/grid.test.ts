import t from 'tap';
import { argmax, resolveRegion, toGrid } from '../../src/render/grid.ts';

t.test('normalises by the maximum', async (t) => {
  const g = toGrid([[0.1, 0.2], [0.4, 0.3]]);
  t.equal(g.w, 2);
  t.equal(g.h, 2);
  t.same([...g.data].map((v) => +v.toFixed(3)), [0.25, 0.5, 1, 0.75]);
});

t.test('all zeros, all NaN and empty maps become uniform', async (t) => {
  for (const a of [[[0, 0], [0, 0]], [[NaN, NaN], [NaN, NaN]], [], [[]]]) {
    const g = toGrid(a);
    t.ok([...g.data].every((v) => v === 1), JSON.stringify(a));
  }
});

t.test('NaN, Infinity and negatives count as zero; ragged rows are padded', async (t) => {
  const g = toGrid([[NaN, -1, 2], [Infinity]]);
  t.equal(g.w, 3);
  t.equal(g.h, 2);
  t.same([...g.data], [0, 0, 1, 0, 0, 0]);
});

t.test('region falls back to argmax when missing or invalid', async (t) => {
  const g = toGrid([[0, 0, 0], [0, 0, 5]]);
  t.equal(argmax(g.data), 5);
  t.equal(resolveRegion(g, 1), 1);
  t.equal(resolveRegion(g, undefined), 5);
  t.equal(resolveRegion(g, 99), 5);
  t.equal(resolveRegion(g, -1), 5);
  t.equal(resolveRegion(g, 1.5), 5);
  t.equal(resolveRegion(toGrid([[0, 0], [0, 0]]), undefined), undefined, 'flat map: no region');
  t.equal(resolveRegion(toGrid([[0, 0], [0, 0]]), 3), 3, 'explicit region still wins');
});
