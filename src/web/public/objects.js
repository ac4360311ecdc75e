// The page's grounding parts: a detection's box drawn on the canvas as the server's overlays draw
// it (outline and "category score" label in the box colour), the list of detected objects, and a
// word's grounding in words.
import { BOX_HEX, boxFractions, boxThickness, pixelBox } from './overlay.js';

/**
 * Outlines detection `d` (box in pixels of the original `image`, {width, height}) on the canvas
 * behind `ctx`, with its label above the box (inside it at the top edge). Returns the pixel box
 * drawn, [x0, x1) × [y0, y1), or null without an image size.
 */
export function drawDetectionBox(ctx, image, d, label) {
  if (!image?.width || !image?.height) return null;
  const { width, height } = ctx.canvas;
  const b = pixelBox(boxFractions(d.box, image.width, image.height), width, height);
  const lw = boxThickness(width, height);
  ctx.save();
  ctx.strokeStyle = BOX_HEX;
  ctx.lineWidth = lw;
  ctx.strokeRect(b.x0 + lw / 2, b.y0 + lw / 2, b.x1 - b.x0 - lw, b.y1 - b.y0 - lw); // inside the box, on whole pixels
  const fontSize = Math.max(11, Math.round(Math.min(width, height) / 28));
  ctx.font = `600 ${fontSize}px system-ui, sans-serif`;
  const tw = Math.ceil(ctx.measureText(label).width) + 8, th = fontSize + 6;
  const lx = Math.max(0, Math.min(b.x0, width - tw)), ly = b.y0 - th >= 0 ? b.y0 - th : b.y0;
  ctx.fillStyle = BOX_HEX;
  ctx.fillRect(lx, ly, tw, th);
  ctx.fillStyle = '#ffffff';
  ctx.textBaseline = 'top';
  ctx.fillText(label, lx + 4, ly + 3);
  ctx.restore();
  return b;
}

/** One list item per detection: a button (data-detection = its index) with a box swatch, the category and the score. */
export function objectItems(dets) {
  return dets.map((d, i) => {
    const li = document.createElement('li');
    const b = Object.assign(document.createElement('button'), { type: 'button' });
    b.dataset.detection = String(i);
    b.title = `box x ${Math.round(d.box.x)}, y ${Math.round(d.box.y)}, ${Math.round(d.box.w)}×${Math.round(d.box.h)} px`;
    b.append(
      Object.assign(document.createElement('span'), { className: 'swatch-box' }),
      Object.assign(document.createElement('span'), { textContent: d.category }),
      Object.assign(document.createElement('span'), { className: 'score', textContent: d.score.toFixed(2) }),
    );
    li.append(b);
    return li;
  });
}

/** A token's grounding as a phrase for its chip's title and the word details. */
export const groundingText = (g) => (g.box
  ? `${g.category} box, score ${g.score.toFixed(2)}, ${Math.round(g.attentionMass * 100)}% of the attention inside`
  : `${g.category}: not detected in the image`);
