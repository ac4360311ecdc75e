import t from 'tap';
import { loadAssets } from '../../src/web/plugin.ts';
import { VIRIDIS } from '../../src/render/colormap.ts';
import { resizeBilinear } from '../../src/render/upsample.ts';

// The module the page is served (bundled from src/render/canvas.ts): it has no DOM
// dependencies, so it runs here too.
const served = loadAssets().files.get('overlay.js')!.body;
const ov: typeof import('../../src/render/canvas.ts') = await import(`data:text/javascript;base64,${served.toString('base64')}`);

t.test('viridis LUT matches the server renderer', async (t) => {
  t.same([...ov.VIRIDIS], [...VIRIDIS]);
});

t.test('bilinear resize matches the server renderer (cell-centred, clamped edges)', async (t) => {
  const src = new Float32Array([0, 1, 2, 3, 4, 5]);
  const mine = ov.resizeBilinear(src, 3, 2, 7, 5);
  const theirs = resizeBilinear(src, 3, 2, 7, 5);
  t.equal(mine.length, 35);
  for (let i = 0; i < mine.length; i++) t.ok(Math.abs(mine[i] - theirs[i]) < 1e-6);
  const up = ov.resizeBilinear(new Float32Array([0, 1]), 2, 1, 4, 1);
  t.same([...up], [0, 0.25, 0.75, 1]);
});

t.test('attentionMap: peak at the attended cell, normalised to 1; validation', async (t) => {
  const grid = [[0, 0, 0], [0, 0, 0.9], [0, 0, 0.1]];
  const m = ov.attentionMap(grid, 30, 30);
  let best = 0;
  for (let i = 1; i < m.length; i++) if (m[i] > m[best]) best = i;
  t.equal(Math.max(...m), 1);
  t.equal(Math.floor(best / 30) >= 10 && Math.floor(best / 30) < 20, true, 'peak row in the middle third');
  t.equal(best % 30 >= 20, true, 'peak column in the right third');
  t.same([...ov.attentionMap([[0, 0], [0, 0]], 2, 2)], [0, 0, 0, 0], 'all-zero map stays zero');
  t.throws(() => ov.flattenGrid([]), /empty/);
  t.throws(() => ov.flattenGrid([[1, 2], [3]]), /row 1/);
  t.same([...ov.flattenGrid([[NaN, -1, 2]]).data], [0, 0, 2], 'non-finite and negative weights count as 0');
});

t.test('blend: heatmap and spotlight', async (t) => {
  const rgba = new Uint8ClampedArray([200, 100, 50, 255, 200, 100, 50, 128]);
  const map = new Float32Array([0, 1]);
  const u8 = (...v: number[]) => [...Uint8ClampedArray.from(v)]; // rounds half to even, like ImageData
  const heat = ov.blend(rgba, map, { style: 'heatmap', alpha: 0.5 });
  t.same([...heat.slice(0, 4)], u8(100 + 0x44 / 2, 50 + 0x01 / 2, 25 + 0x54 / 2, 255));
  t.same([...heat.slice(4, 8)], u8(100 + 0xfd / 2, 50 + 0xe7 / 2, 25 + 0x25 / 2, 128), 'alpha channel kept');
  const spot = ov.blend(rgba, map, { style: 'spotlight', alpha: 0.75 });
  t.same([...spot], u8(50, 25, 12.5, 255, 200, 100, 50, 128));
  t.same([...rgba], [200, 100, 50, 255, 200, 100, 50, 128], 'input untouched');
  t.throws(() => ov.blend(rgba, new Float32Array(3)), /pixels/);
});

t.test('cellBox and fitSize', async (t) => {
  t.same(ov.cellBox(1, 2, { h: 7, w: 7 }, 700, 350), { x0: 200, y0: 50, x1: 300, y1: 100 });
  t.same(ov.fitSize(4000, 2000, 1024), { width: 1024, height: 512 });
  t.same(ov.fitSize(300, 200, 1024), { width: 300, height: 200 }, 'never enlarges');
});
