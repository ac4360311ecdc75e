// The web page's attention overlays, drawn on canvas pixels (RGBA ImageData) in the browser.
// Served to the page as one bundled module (src/web/plugin.ts), so the page and the server
// share one colormap, one bilinear resampling and one blend. Dependency-free: no DOM, no Node.
import { heatmap, spotlight } from './blend.ts';
import type { OverlayStyle } from './types.ts';
import { clamp, rescaleToPeak, resizeBilinear } from './upsample.ts';

export { VIRIDIS } from './colormap.ts';
export { BOX_HEX, boxFractions, boxThickness, pixelBox } from './box-style.ts';
export { resizeBilinear };

/** Flattens a grid (rows of numbers) to a Float32Array, validating its shape. */
export function flattenGrid(rows: number[][]): { data: Float32Array; w: number; h: number } {
  if (!Array.isArray(rows) || rows.length === 0) throw new Error('attention grid is empty');
  const h = rows.length;
  const w = rows[0].length;
  if (!w) throw new Error('attention grid has empty rows');
  const data = new Float32Array(w * h);
  for (let r = 0; r < h; r++) {
    if (rows[r].length !== w) throw new Error(`attention grid row ${r} has ${rows[r].length} cells, expected ${w}`);
    for (let c = 0; c < w; c++) {
      const v = Number(rows[r][c]);
      data[r * w + c] = Number.isFinite(v) && v > 0 ? v : 0;
    }
  }
  return { data, w, h };
}

/** The attention map for a grid (grid.h × grid.w weights) at width×height pixels, peak = 1. */
export function attentionMap(rows: number[][], width: number, height: number): Float32Array {
  const { data, w, h } = flattenGrid(rows);
  return rescaleToPeak(resizeBilinear(data, w, h, width, height));
}

export interface BlendOptions {
  style?: OverlayStyle;
  /** Default 0.55 for the heatmap (a touch stronger than the server's, on a small canvas), 0.6 for the spotlight. */
  alpha?: number;
}

/**
 * Blends a [0,1] map (one value per pixel) into RGBA pixels (e.g. ImageData.data), writing to
 * `out`, as the server draws it (src/render/blend.ts); the alpha channel is kept.
 */
export function blend(rgba: Uint8ClampedArray, map: Float32Array, opts: BlendOptions = {}, out = new Uint8ClampedArray(rgba.length)): Uint8ClampedArray {
  if (rgba.length !== map.length * 4) throw new Error(`blend: ${rgba.length / 4} pixels but map has ${map.length}`);
  const style = opts.style ?? 'heatmap';
  const alpha = clamp(opts.alpha ?? (style === 'heatmap' ? 0.55 : 0.6), 0, 1);
  return (style === 'spotlight' ? spotlight : heatmap)(rgba, map, alpha, out, 4);
}

/**
 * Pixel box of grid cell (row, col) in a width×height canvas: [x0, y0, x1, y1), edges rounded
 * to the nearest pixel (a stroked frame, unlike the server's filled region map).
 */
export function cellBox(row: number, col: number, grid: { w: number; h: number }, width: number, height: number) {
  return {
    x0: Math.round((col * width) / grid.w),
    y0: Math.round((row * height) / grid.h),
    x1: Math.round(((col + 1) * width) / grid.w),
    y1: Math.round(((row + 1) * height) / grid.h),
  };
}

/** Largest size ≤ maxSide on the long edge with the image's aspect ratio (never enlarges). */
export function fitSize(width: number, height: number, maxSide: number): { width: number; height: number } {
  const s = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * s)), height: Math.max(1, Math.round(height * s)) };
}

