import t from 'tap';
import { panelOrigin, sheetLayout } from '../../src/render/layout.ts';

t.test('default geometry for 224 px panels', async (t) => {
  const l = sheetLayout(9, 224);
  t.match(l, { columns: 3, rows: 3, gap: 8, labelHeight: 28, titleHeight: 0 });
  t.equal(l.width, 3 * 224 + 4 * 8);
  t.equal(l.height, 3 * (224 + 28) + 4 * 8);
});

t.test('auto columns = ceil(sqrt(n)); explicit columns clamp to 1..n', async (t) => {
  t.equal(sheetLayout(1, 224).columns, 1);
  t.equal(sheetLayout(2, 224).columns, 2);
  t.match(sheetLayout(31, 224), { columns: 6, rows: 6 });
  t.match(sheetLayout(5, 224, { columns: 10 }), { columns: 5, rows: 1 });
  t.match(sheetLayout(5, 224, { columns: 0 }), { columns: 3, rows: 2 });
  t.match(sheetLayout(5, 224, { columns: 1 }), { columns: 1, rows: 5 });
});

t.test('title band and panel size clamping', async (t) => {
  const l = sheetLayout(4, 100, { title: true });
  t.equal(l.titleHeight, l.labelHeight);
  t.equal(l.height, l.labelHeight + 2 * (100 + 14) + 3 * 4);
  t.equal(sheetLayout(1, 3).panelSize, 16);
  t.equal(sheetLayout(1, 99999).panelSize, 1024);
});

t.test('panels do not overlap and stay inside the sheet', async (t) => {
  const l = sheetLayout(7, 224, { title: true });
  const last = panelOrigin(l, 6);
  t.same(panelOrigin(l, 0), { x: 8, y: 28 + 8 });
  t.same(panelOrigin(l, 1), { x: 8 + 224 + 8, y: 36 });
  t.ok(last.x + l.panelSize + l.gap === l.width || last.x + l.panelSize < l.width);
  t.equal(panelOrigin(l, 6).y + l.panelSize + l.labelHeight + l.gap, l.height);
});
