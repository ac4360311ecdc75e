import t from 'tap';
import sharp from 'sharp';
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
  const out = await overlayRgb(grey(140, 140), peak(7, 7, 2, 1), { mode: 'soft' });
  t.equal(px(out, 50, 30), 200, 'peak cell centre keeps full brightness');
  t.ok(px(out, 130, 130) < 90, 'far corner darkened');
  t.ok(px(out, 130, 130) >= 79, 'but still readable: at least 40% of its brightness');
});

t.test('hard mode highlights the sampled cell, not the argmax', async (t) => {
  const attention = peak(7, 7, 6, 6); // argmax bottom-right...
  const out = await overlayRgb(grey(70, 70), attention, { mode: 'hard', region: 1 * 7 + 2 }); // ...but sampled (row 1, col 2)
  t.equal(px(out, 25, 15), 200, 'inside the sampled cell: full brightness');
  t.ok(px(out, 65, 65) < 90, 'argmax cell is dimmed');
  t.ok(px(out, 5, 5) < 90, 'other cells dimmed');
  const frame = out.rgb.subarray((10 * 70 + 20) * 3, (10 * 70 + 20) * 3 + 3);
  t.same([...frame], [0xfd, 0xe7, 0x25], 'cell framed in yellow');
});

t.test('hard mode without a region falls back to the argmax', async (t) => {
  const out = await overlayRgb(grey(70, 70), peak(7, 7, 6, 6), { mode: 'hard' });
  t.equal(px(out, 65, 65), 200);
  t.ok(px(out, 5, 5) < 90);
});

t.test('hard mode with a flat map and no region leaves the image undimmed', async (t) => {
  const out = await overlayRgb(grey(20, 20), [[0, 0], [0, 0]], { mode: 'hard' });
  t.ok(out.rgb.every((v) => v === 200));
});

t.test('heatmap style colours with viridis', async (t) => {
  const out = await overlayRgb(grey(70, 70), peak(7, 7, 0, 0), { style: 'heatmap', alpha: 1, blurCells: 0 });
  t.same([...out.rgb.subarray(0, 3)], [0xfd, 0xe7, 0x25], 'peak is yellow');
  const far = (69 * 70 + 69) * 3;
  t.same([...out.rgb.subarray(far, far + 3)], [0x44, 0x01, 0x54], 'zero is purple');
});

t.test('degenerate inputs: all-zero / NaN maps are uniform; tiny and extreme images work', async (t) => {
  for (const attention of [peak(7, 7, -1, -1), [[NaN, NaN], [NaN, NaN]], []]) {
    const out = await overlayRgb(grey(10, 10), attention);
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
