// A grounded word's detection box drawn over an overlay: an outline and a small label
// ("dog 0.87") in a colour the heatmap and the spotlight never produce.
import sharp from 'sharp';
import { outline } from './blend.ts';
import { BOX_COLOR, BOX_HEX, boxThickness, pixelBox } from './box-style.ts';
import { renderLabel } from './text.ts';
import type { RgbImage, WordBox } from './types.ts';

export { BOX_COLOR, boxThickness, pixelBox };

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
