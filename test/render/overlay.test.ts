import t from 'tap';
import sharp from 'sharp';
import { BOX_COLOR, boxThickness, pixelBox } from '../../src/render/box.ts';
import { overlayRgb, renderOverlay } from '../../src/render/overlay.ts';
import type { RgbImage } from '../../src/render/types.ts';

/** Flat mid-grey image, so brightness differences come only from the overlay. */
function grey(width: number, height: number): RgbImage {
  return { rgb: Buffer.alloc(width * height * 3, 200), width, height };
}

function peak(w: number, h: number, px: number, py: number): number[][] {
  return Array.from({ length: h }, (_, y) => Array.from({ length: w }, (_, x) => (x === px && y === py ? 1 : 0)));
}

const px = (img: RgbImage, x: number, y: number) => img.rgb[(y * img.width + x) * 3];

t.test('PNG and JPEG output at the original size by default', async (t) => {
  const image = grey(320, 200);
  for (const format of ['png', 'jpeg'] as const) {
    for (const mode of ['soft', 'hard'] as const) {
      const buf = await renderOverlay(image, peak(7, 7, 3, 3), { mode, format });
      const meta = await sharp(buf).metadata();
      t.equal(meta.format, format, `${mode} ${format}`);
      t.equal(meta.width, 320);
      t.equal(meta.height, 200);
    }
  }
});

t.test('requested sizes: both sides exact, one side keeps the aspect ratio', async (t) => {
  const image = grey(400, 100);
  const size = async (o: { width?: number; height?: number }) => {
    const m = await sharp(await renderOverlay(image, peak(7, 7, 0, 0), { ...o, format: 'png' })).metadata();
    return [m.width, m.height];
  };
  t.same(await size({ width: 50, height: 60 }), [50, 60]);
  t.same(await size({ width: 200 }), [200, 50]);
  t.same(await size({ height: 10 }), [40, 10]);
});

t.test('soft spotlight: attended cell bright, far cells dimmed', async (t) => {
  const out = await overlayRgb(grey(140, 140), peak(7, 7, 2, 1), { mode: 'soft', style: 'spotlight' });
  t.equal(px(out, 50, 30), 200, 'peak cell centre keeps full brightness');
  t.ok(px(out, 130, 130) < 90, 'far corner darkened');
  t.ok(px(out, 130, 130) >= 79, 'but still readable: at least 40% of its brightness');
});

t.test('hard mode highlights the sampled cell, not the argmax', async (t) => {
  const attention = peak(7, 7, 6, 6); // argmax bottom-right...
  const out = await overlayRgb(grey(70, 70), attention, { mode: 'hard', region: 1 * 7 + 2, style: 'spotlight' }); // ...but sampled (row 1, col 2)
  t.equal(px(out, 25, 15), 200, 'inside the sampled cell: full brightness');
  t.ok(px(out, 65, 65) < 90, 'argmax cell is dimmed');
  t.ok(px(out, 5, 5) < 90, 'other cells dimmed');
  const frame = out.rgb.subarray((10 * 70 + 20) * 3, (10 * 70 + 20) * 3 + 3);
  t.same([...frame], [0xfd, 0xe7, 0x25], 'cell framed in yellow');
});

t.test('hard mode without a region falls back to the argmax', async (t) => {
  const out = await overlayRgb(grey(70, 70), peak(7, 7, 6, 6), { mode: 'hard', style: 'spotlight' });
  t.equal(px(out, 65, 65), 200);
  t.ok(px(out, 5, 5) < 90);
});

t.test('hard mode with a flat map and no region leaves the image undimmed (spotlight)', async (t) => {
  const out = await overlayRgb(grey(20, 20), [[0, 0], [0, 0]], { mode: 'hard', style: 'spotlight' });
  t.ok(out.rgb.every((v) => v === 200));
});

t.test('the default style is the heatmap: a peak reads yellow-green, a flat far cell purple-tinted', async (t) => {
  const out = await overlayRgb(grey(70, 70), peak(7, 7, 0, 0), { blurCells: 0 });
  const rgbAt = (x: number, y: number) => [...out.rgb.subarray((y * 70 + x) * 3, (y * 70 + x) * 3 + 3)];
  const [r, g, b] = rgbAt(0, 0);
  t.ok(g > b && r > b, `peak tinted towards viridis yellow: ${[r, g, b]}`);
  const [r2, g2, b2] = rgbAt(69, 69);
  t.ok(b2 > g2 && r2 > g2, `zero tinted towards viridis purple: ${[r2, g2, b2]}`);
});

t.test('heatmap style colours with viridis', async (t) => {
  const out = await overlayRgb(grey(70, 70), peak(7, 7, 0, 0), { style: 'heatmap', alpha: 1, blurCells: 0 });
  t.same([...out.rgb.subarray(0, 3)], [0xfd, 0xe7, 0x25], 'peak is yellow');
  const far = (69 * 70 + 69) * 3;
  t.same([...out.rgb.subarray(far, far + 3)], [0x44, 0x01, 0x54], 'zero is purple');
});

t.test('degenerate inputs: all-zero / NaN maps are uniform; tiny and extreme images work', async (t) => {
  for (const attention of [peak(7, 7, -1, -1), [[NaN, NaN], [NaN, NaN]], []]) {
    const out = await overlayRgb(grey(10, 10), attention, { style: 'spotlight' });
    t.ok(out.rgb.every((v) => v === 200), `uniform map leaves image untouched: ${JSON.stringify(attention)}`);
  }
  for (const [w, h] of [[1, 1], [2000, 20], [20, 2000]]) {
    for (const mode of ['soft', 'hard'] as const) {
      const m = await sharp(await renderOverlay(grey(w, h), peak(14, 14, 5, 9), { mode, format: 'png' })).metadata();
      t.same([m.width, m.height], [w, h], `${w}×${h} ${mode}`);
    }
  }
});

t.test('rejects malformed images', async (t) => {
  await t.rejects(renderOverlay({ rgb: Buffer.alloc(3), width: 2, height: 2 }, [[1]]), TypeError);
  await t.rejects(renderOverlay({ rgb: Buffer.alloc(3), width: 0, height: 1 }, [[1]]), TypeError);
});

t.test('a grounded word\'s box: outlined in BOX_COLOR at its edges, nowhere else but its label', async (t) => {
  const W = 300, H = 200;
  const box = { x1: 0.3, y1: 0.4, x2: 0.8, y2: 0.9, label: 'dog 0.87' };
  for (const style of ['heatmap', 'spotlight'] as const) {
    const out = await overlayRgb(grey(W, H), peak(7, 7, 3, 4), { style, box });
    const b = pixelBox(box, W, H);
    t.same(b, { x0: 90, y0: 80, x1: 240, y1: 180 }, 'edges at the rounded fractions');
    const th = boxThickness(W, H);
    const isBox = (x: number, y: number) => { const j = (y * W + x) * 3; return out.rgb[j] === BOX_COLOR[0] && out.rgb[j + 1] === BOX_COLOR[1] && out.rgb[j + 2] === BOX_COLOR[2]; };
    const mid = { x: (b.x0 + b.x1) >> 1, y: (b.y0 + b.y1) >> 1 };
    t.ok(isBox(b.x0, mid.y) && isBox(b.x1 - 1, mid.y) && isBox(b.x0 + th - 1, mid.y), `${style}: left and right edges, ${th} px thick`);
    t.ok(isBox(mid.x, b.y1 - 1) && isBox(mid.x, b.y0 + th - 1), `${style}: bottom and top edges`);
    t.notOk(isBox(b.x0 + th, mid.y) || isBox(b.x0 - 1, mid.y) || isBox(mid.x, mid.y), `${style}: not just inside or outside the edge, not the middle`);
    // The label sits on the box's top-left corner, above it: somewhere in the strip above the top edge.
    let label = 0, stray = 0;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        if (!isBox(x, y)) continue;
        const onEdge = x >= b.x0 && x < b.x1 && y >= b.y0 && y < b.y1 && (x - b.x0 < th || b.x1 - 1 - x < th || y - b.y0 < th || b.y1 - 1 - y < th);
        if (onEdge) continue;
        if (y < b.y0 && y >= b.y0 - 30 && x >= b.x0 && x < b.x1) label++;
        else stray++;
      }
    }
    t.ok(label > 50, `${style}: a label of ${label} px in the box colour above the box`);
    t.equal(stray, 0, `${style}: no box colour anywhere else`);
  }
  const plain = await overlayRgb(grey(W, H), peak(7, 7, 3, 4), { style: 'heatmap' });
  let any = 0;
  for (let i = 0; i < W * H; i++) if (plain.rgb[i * 3] === BOX_COLOR[0] && plain.rgb[i * 3 + 1] === BOX_COLOR[1] && plain.rgb[i * 3 + 2] === BOX_COLOR[2]) any++;
  t.equal(any, 0, 'no box, no box colour');
});

t.test('a box at the top edge puts its label inside; a box past the image is clipped', async (t) => {
  const out = await overlayRgb(grey(200, 200), peak(7, 7, 3, 3), { box: { x1: -0.2, y1: 0, x2: 1.5, y2: 0.5, label: 'person 0.91' } });
  const b = pixelBox({ x1: -0.2, y1: 0, x2: 1.5, y2: 0.5 }, 200, 200);
  t.same(b, { x0: 0, y0: 0, x1: 200, y1: 100 });
  const at = (x: number, y: number) => [...out.rgb.subarray((y * 200 + x) * 3, (y * 200 + x) * 3 + 3)];
  t.same(at(199, 50), [...BOX_COLOR], 'right edge at the image border');
  t.same(at(100, 99), [...BOX_COLOR], 'bottom edge');
});
