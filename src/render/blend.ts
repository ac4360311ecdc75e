// Per-pixel blending of an upsampled attention map (values in [0,1]) into RGB pixels.
import { VIRIDIS, lutIndex } from './colormap.ts';

/**
 * Default strengths: readable photo, clearly visible map. Spotlight keeps unattended pixels at
 * 40% brightness (at 25% dark photos turned to black and the scene could not be read).
 */
export const DEFAULT_ALPHA = { spotlight: 0.6, heatmap: 0.5 } as const;

/**
 * Paper-style spotlight: each pixel is scaled by 1 - alpha·(1 - √m), so fully attended pixels
 * keep their colour and unattended ones fall to (1 - alpha) of their brightness; the square root
 * lights the moderately attended surroundings too, so the attended region reads in context.
 */
export function spotlight(rgb: Uint8Array, map: Float32Array, alpha: number): Buffer {
  const out = Buffer.allocUnsafe(map.length * 3);
  for (let i = 0; i < map.length; i++) {
    const gain = 1 - alpha * (1 - Math.sqrt(Math.max(0, map[i])));
    const j = i * 3;
    out[j] = rgb[j] * gain;
    out[j + 1] = rgb[j + 1] * gain;
    out[j + 2] = rgb[j + 2] * gain;
  }
  return out;
}

/** Heatmap: (1 - alpha)·pixel + alpha·viridis(m). */
export function heatmap(rgb: Uint8Array, map: Float32Array, alpha: number): Buffer {
  const out = Buffer.allocUnsafe(map.length * 3);
  const keep = 1 - alpha;
  for (let i = 0; i < map.length; i++) {
    const c = lutIndex(map[i]) * 3;
    const j = i * 3;
    out[j] = rgb[j] * keep + VIRIDIS[c] * alpha;
    out[j + 1] = rgb[j + 1] * keep + VIRIDIS[c + 1] * alpha;
    out[j + 2] = rgb[j + 2] * keep + VIRIDIS[c + 2] * alpha;
  }
  return out;
}

/** Draws a rectangle outline in place (used to frame the hard-attention region). */
export function outline(
  rgb: Uint8Array, width: number, height: number,
  box: { x0: number; y0: number; x1: number; y1: number },
  color: readonly [number, number, number], thickness: number,
): void {
  const paint = (x: number, y: number) => {
    const j = (y * width + x) * 3;
    rgb[j] = color[0];
    rgb[j + 1] = color[1];
    rgb[j + 2] = color[2];
  };
  for (let y = box.y0; y < box.y1; y++) {
    for (let x = box.x0; x < box.x1; x++) {
      const edge = x - box.x0 < thickness || box.x1 - 1 - x < thickness
        || y - box.y0 < thickness || box.y1 - 1 - y < thickness;
      if (edge) paint(x, y);
    }
  }
}
