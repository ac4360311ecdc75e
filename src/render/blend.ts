// Per-pixel blending of an upsampled attention map (values in [0,1]) into RGB pixels.
import { VIRIDIS, lutIndex } from './colormap.ts';

/**
 * Default strengths: readable photo, clearly visible map. Spotlight keeps unattended pixels at
 * 40% brightness (at 25% dark photos turned to black and the scene could not be read).
 */
export const DEFAULT_ALPHA = { spotlight: 0.6, heatmap: 0.5 } as const;

/** 8-bit interleaved pixels: RGB (3 channels, the server) or RGBA (4, a browser canvas). */
type Pixels = Uint8Array | Uint8ClampedArray;

/**
 * Paper-style spotlight: each pixel is scaled by 1 - alpha·(1 - √m), so fully attended pixels
 * keep their colour and unattended ones fall to (1 - alpha) of their brightness; the square root
 * lights the moderately attended surroundings too, so the attended region reads in context.
 * Writes `out` (same layout as `src`; an alpha channel is copied) and returns it.
 */
export function spotlight<P extends Pixels>(src: Pixels, map: Float32Array, alpha: number, out: P, channels: 3 | 4 = 3): P {
  for (let i = 0; i < map.length; i++) {
    const gain = 1 - alpha * (1 - Math.sqrt(Math.max(0, map[i])));
    const j = i * channels;
    out[j] = src[j] * gain;
    out[j + 1] = src[j + 1] * gain;
    out[j + 2] = src[j + 2] * gain;
    if (channels === 4) out[j + 3] = src[j + 3];
  }
  return out;
}

/** Heatmap: (1 - alpha)·pixel + alpha·viridis(m). Same `out` and layout as spotlight. */
export function heatmap<P extends Pixels>(src: Pixels, map: Float32Array, alpha: number, out: P, channels: 3 | 4 = 3): P {
  const keep = 1 - alpha;
  for (let i = 0; i < map.length; i++) {
    const c = lutIndex(map[i]) * 3;
    const j = i * channels;
    out[j] = src[j] * keep + VIRIDIS[c] * alpha;
    out[j + 1] = src[j + 1] * keep + VIRIDIS[c + 1] * alpha;
    out[j + 2] = src[j + 2] * keep + VIRIDIS[c + 2] * alpha;
    if (channels === 4) out[j + 3] = src[j + 3];
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
