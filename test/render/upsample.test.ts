import t from 'tap';
import { toGrid } from '../../src/render/grid.ts';
import { cellBox, gaussianBlur, hardMap, resizeBilinear, upsampleSoft } from '../../src/render/upsample.ts';

function peakGrid(w: number, h: number, px: number, py: number): number[][] {
  return Array.from({ length: h }, (_, y) => Array.from({ length: w }, (_, x) => (x === px && y === py ? 1 : 0.01)));
}

function argmaxXY(map: Float32Array, width: number) {
  let best = 0;
  for (let i = 1; i < map.length; i++) if (map[i] > map[best]) best = i;
  return { x: best % width, y: Math.floor(best / width) };
}

t.test('peak in cell (row 1, col 2) of a 7×7 map lands in that cell after upsampling', async (t) => {
  for (const blurCells of [0, 0.5, 1.5]) {
    const W = 224;
    const H = 140;
    const map = upsampleSoft(toGrid(peakGrid(7, 7, 2, 1)), W, H, { blurCells });
    t.equal(map.length, W * H);
    const { x, y } = argmaxXY(map, W);
    t.ok(x >= (2 * W) / 7 && x < (3 * W) / 7, `blur ${blurCells}: x=${x} in column 2`);
    t.ok(y >= (1 * H) / 7 && y < (2 * H) / 7, `blur ${blurCells}: y=${y} in row 1`);
    t.equal(Math.max(...map), 1, 'peak rescaled to 1');
  }
});

t.test('bilinear over cell centres is exact at centres and smooth between', async (t) => {
  const out = resizeBilinear(new Float32Array([0, 1]), 2, 1, 4, 1);
  t.same([...out], [0, 0.25, 0.75, 1]);
});

t.test('blur keeps mass and symmetry', async (t) => {
  const src = new Float32Array(21 * 21);
  src[10 * 21 + 10] = 1;
  const out = gaussianBlur(src, 21, 21, 2, 2);
  const sum = out.reduce((a, b) => a + b, 0);
  t.ok(Math.abs(sum - 1) < 1e-4, `sum ${sum}`);
  t.ok(Math.abs(out[10 * 21 + 7] - out[10 * 21 + 13]) < 1e-6);
});

t.test('handles 1×1 and extreme-aspect targets', async (t) => {
  const g = toGrid(peakGrid(14, 14, 13, 0));
  t.equal(upsampleSoft(g, 1, 1).length, 1);
  const wide = upsampleSoft(g, 2000, 20);
  t.equal(wide.length, 40000);
  t.ok(wide.every(Number.isFinite));
  t.ok(argmaxXY(wide, 2000).x >= (13 * 2000) / 14, 'peak stays at the right end');
});

t.test('hard map lights exactly the sampled cell', async (t) => {
  const region = 1 * 7 + 2; // row 1, col 2
  const map = hardMap(7, 7, region, 70, 70);
  const box = cellBox(7, 7, region, 70, 70);
  t.same(box, { x0: 20, y0: 10, x1: 30, y1: 20 });
  let inside = 0;
  for (let y = 0; y < 70; y++) for (let x = 0; x < 70; x++) {
    const v = map[y * 70 + x];
    const within = x >= 20 && x < 30 && y >= 10 && y < 20;
    if (within) inside += v;
    else if (v !== 0) t.fail(`pixel ${x},${y} lit`);
  }
  t.equal(inside, 100);
});

t.test('cell boxes are at least one pixel even when the image is smaller than the grid', async (t) => {
  const box = cellBox(14, 14, 14 * 14 - 1, 1, 1);
  t.same(box, { x0: 0, y0: 0, x1: 1, y1: 1 });
  t.equal(hardMap(14, 14, 0, 1, 1)[0], 1);
});
