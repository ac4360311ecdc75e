// A grounded word's detection box drawn over an overlay: an outline and a small label
// ("dog 0.87") in a colour the heatmap and the spotlight never produce.
import sharp from 'sharp';
import { outline } from './blend.ts';
import { renderLabel } from './text.ts';
import type { RgbImage, WordBox } from './types.ts';

/** Box colour: a saturated red-pink, absent from viridis (purple→yellow) and from any darkened photo's greys. */
export const BOX_COLOR: readonly [number, number, number] = [255, 45, 85];
const BOX_HEX = '#ff2d55';

/** The box in pixels of a width×height image: edges rounded to the nearest pixel, [x0, x1) × [y0, y1), at least 1 px. */
export function pixelBox(box: WordBox, width: number, height: number): { x0: number; y0: number; x1: number; y1: number } {
  const px = (v: number, n: number) => Math.min(n, Math.max(0, Math.round(v * n)));
  const x0 = Math.min(px(box.x1, width), width - 1), y0 = Math.min(px(box.y1, height), height - 1);
  return { x0, y0, x1: Math.max(x0 + 1, px(box.x2, width)), y1: Math.max(y0 + 1, px(box.y2, height)) };
}

/** Outline thickness: ~1/150 of the short side, at least 2 px so it reads on small panels. */
export const boxThickness = (width: number, height: number) => Math.max(2, Math.round(Math.min(width, height) / 150));

/**
 * Draws the box onto `image` (its rgb is changed in place when there is no label, else a new
 * buffer is returned): the outline, then the label at the box's top-left corner, above the box
 * when there is room, else just inside it.
 */
export async function drawBox(image: RgbImage, box: WordBox): Promise<RgbImage> {
  const { width, height } = image;
  const b = pixelBox(box, width, height);
  outline(image.rgb as Uint8Array, width, height, b, BOX_COLOR, boxThickness(width, height));
  if (!box.label) return image;
  const fontSize = Math.max(9, Math.round(Math.min(width, height) / 28));
  const text = await renderLabel([[{ text: box.label, color: '#ffffff' }]], fontSize, Math.max(1, width - 4), fontSize * 2, BOX_HEX);
  if (!text) return image;
  // The trimmed ink plus a little padding in the box colour.
  const pad = Math.max(1, Math.round(fontSize / 5));
  const label = await sharp(text.input).extend({ top: pad, bottom: pad, left: pad + 1, right: pad + 1, background: BOX_HEX }).flatten({ background: BOX_HEX }).png().toBuffer({ resolveWithObject: true });
  const lw = label.info.width, lh = label.info.height;
  if (lw > width || lh > height) return image;
  const left = Math.min(b.x0, width - lw);
  const top = b.y0 - lh >= 0 ? b.y0 - lh : Math.min(b.y0, height - lh);
  const rgb = await sharp(image.rgb, { raw: { width, height, channels: 3 } }).composite([{ input: label.data, left, top }]).removeAlpha().raw().toBuffer();
  return { rgb, width, height };
}
