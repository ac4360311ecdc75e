// The detection box's look, shared by the server's renderer (box.ts) and the page's canvas
// (canvas.ts): dependency-free so the page's bundle can import it.

/** A saturated red-pink, absent from viridis (purple→yellow) and from any darkened photo's greys. */
export const BOX_COLOR: readonly [number, number, number] = [255, 45, 85];
export const BOX_HEX = '#ff2d55';

/** Outline thickness: ~1/150 of the short side, at least 2 px so it reads on small panels. */
export const boxThickness = (width: number, height: number) => Math.max(2, Math.round(Math.min(width, height) / 150));

/**
 * A box given as fractions of the image (x1, y1)–(x2, y2), in pixels of a width×height picture:
 * edges rounded to the nearest pixel, [x0, x1) × [y0, y1), clipped, at least 1 px.
 */
export function pixelBox(box: { x1: number; y1: number; x2: number; y2: number }, width: number, height: number): { x0: number; y0: number; x1: number; y1: number } {
  const px = (v: number, n: number) => Math.min(n, Math.max(0, Math.round(v * n)));
  const x0 = Math.min(px(box.x1, width), width - 1), y0 = Math.min(px(box.y1, height), height - 1);
  return { x0, y0, x1: Math.max(x0 + 1, px(box.x2, width)), y1: Math.max(y0 + 1, px(box.y2, height)) };
}

/**
 * An API box (x, y, w, h in pixels of the imageWidth×imageHeight original) as fractions of the
 * image, for pixelBox() at the canvas's size.
 */
export function boxFractions(box: { x: number; y: number; w: number; h: number }, imageWidth: number, imageHeight: number) {
  return { x1: box.x / imageWidth, y1: box.y / imageHeight, x2: (box.x + box.w) / imageWidth, y2: (box.y + box.h) / imageHeight };
}
