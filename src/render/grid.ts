// Turns a caller-supplied attention matrix into a clean, normalised float grid.
import type { AttentionGrid } from './types.ts';

export interface Grid {
  w: number;
  h: number;
  /** Row-major values in [0,1]. */
  data: Float32Array;
}

/**
 * Sanitise and normalise an attention matrix:
 * - ragged rows are padded with 0; an empty matrix becomes a 1×1 grid;
 * - NaN, ±Infinity and negative weights count as 0;
 * - values are divided by the maximum, so the most-attended cell is 1. Dividing by the max
 *   (not min–max) keeps a flat map flat instead of amplifying tiny noise into full contrast;
 * - a map with no positive weight (all zeros / NaN) is treated as uniform (all 1).
 */
export function toGrid(attention: AttentionGrid): Grid {
  const h = Math.max(1, attention.length);
  const w = Math.max(1, ...attention.map((row) => (Array.isArray(row) ? row.length : 0)));
  const data = new Float32Array(w * h);
  let max = 0;
  for (let y = 0; y < attention.length; y++) {
    const row = attention[y] ?? [];
    for (let x = 0; x < row.length; x++) {
      const v = Number(row[x]);
      const clean = Number.isFinite(v) && v > 0 ? v : 0;
      data[y * w + x] = clean;
      if (clean > max) max = clean;
    }
  }
  if (max > 0) {
    for (let i = 0; i < data.length; i++) data[i] /= max;
  } else {
    data.fill(1);
  }
  return { w, h, data };
}

/** Index of the largest value (first one on ties). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/**
 * The hard-attention cell to show: `region` when valid, otherwise the map's argmax, or
 * undefined when the map is flat (e.g. all zeros) — picking an arbitrary cell would mislead.
 */
export function resolveRegion(grid: Grid, region: number | undefined): number | undefined {
  const valid = region !== undefined && Number.isInteger(region) && region >= 0 && region < grid.w * grid.h;
  if (valid) return region;
  const best = argmax(grid.data);
  return grid.data.some((v) => v !== grid.data[best]) ? best : undefined;
}
