// Client-side attention overlays: pure functions on typed arrays (no DOM), so they run in the
// browser and in Node tests alike. Same conventions as src/render: values sit at cell centres,
// edges clamp, the map's peak is rescaled to 1, viridis for the heatmap.

// Viridis (CC0, van der Walt & Smith) sampled at t = k/32.
const STOPS = [
  '440154', '470d60', '48186a', '482374', '472d7b', '453681', '424086', '3f4989', '3b528b',
  '375a8d', '33638d', '2f6a8e', '2c728e', '297a8e', '26818e', '23898e', '21908c', '1f988b',
  '1f9f88', '21a685', '28ae80', '31b57b', '3ebc74', '4cc26c', '5dc963', '6ece58', '82d34c',
  '96d83f', 'abdc32', 'c0df24', 'd5e21a', 'eae51a', 'fde725',
];

/** 256 interleaved RGB entries; index 0 = dark purple, 255 = yellow. */
export const VIRIDIS = (() => {
  const stops = STOPS.map((hex) => [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16)));
  const segments = stops.length - 1;
  const lut = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = (i / 255) * segments;
    const k = Math.min(Math.floor(t), segments - 1);
    const f = t - k;
    for (let c = 0; c < 3; c++) lut[i * 3 + c] = Math.round(stops[k][c] + (stops[k + 1][c] - stops[k][c]) * f);
  }
  return lut;
})();

/**
 * Flattens a grid (rows of numbers) to a Float32Array, validating its shape.
 * @param {number[][]} rows
 * @returns {{ data: Float32Array, w: number, h: number }}
 */
export function flattenGrid(rows) {
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

/**
 * Bilinear resampling of a sw×sh map to dw×dh with values at cell centres (edges clamp).
 * @param {Float32Array} src
 * @returns {Float32Array}
 */
export function resizeBilinear(src, sw, sh, dw, dh) {
  const out = new Float32Array(dw * dh);
  const x0 = new Int32Array(dw);
  const x1 = new Int32Array(dw);
  const fx = new Float32Array(dw);
  for (let x = 0; x < dw; x++) {
    const u = clamp(((x + 0.5) * sw) / dw - 0.5, 0, sw - 1);
    x0[x] = Math.floor(u);
    x1[x] = Math.min(x0[x] + 1, sw - 1);
    fx[x] = u - x0[x];
  }
  for (let y = 0; y < dh; y++) {
    const v = clamp(((y + 0.5) * sh) / dh - 0.5, 0, sh - 1);
    const ya = Math.floor(v);
    const yb = Math.min(ya + 1, sh - 1);
    const fy = v - ya;
    const ra = ya * sw;
    const rb = yb * sw;
    const ro = y * dw;
    for (let x = 0; x < dw; x++) {
      const top = src[ra + x0[x]] + (src[ra + x1[x]] - src[ra + x0[x]]) * fx[x];
      const bot = src[rb + x0[x]] + (src[rb + x1[x]] - src[rb + x0[x]]) * fx[x];
      out[ro + x] = top + (bot - top) * fy;
    }
  }
  return out;
}

/** Rescales so the peak is 1 (an all-zero map stays zero). In place; returns the array. */
export function normalizePeak(map) {
  let max = 0;
  for (let i = 0; i < map.length; i++) if (map[i] > max) max = map[i];
  if (max > 0) for (let i = 0; i < map.length; i++) map[i] /= max;
  return map;
}

/**
 * The attention map for a grid at width×height pixels, peak = 1.
 * @param {number[][]} rows  grid.h × grid.w attention weights
 */
export function attentionMap(rows, width, height) {
  const { data, w, h } = flattenGrid(rows);
  return normalizePeak(resizeBilinear(data, w, h, width, height));
}

/**
 * Blends a [0,1] map into RGBA pixels (e.g. ImageData.data), writing to `out`.
 * style 'heatmap': (1-α)·pixel + α·viridis(m); 'spotlight': pixel·(1 - α·(1-√m)), as the server draws it
 * (src/render/blend.ts): unattended pixels keep 40% of their brightness by default.
 * @param {Uint8ClampedArray} rgba  base pixels (not modified unless out === rgba)
 * @param {Float32Array} map  one value per pixel
 * @param {{ style?: 'heatmap'|'spotlight', alpha?: number }} [opts]
 * @param {Uint8ClampedArray} [out]
 */
export function blend(rgba, map, opts = {}, out = new Uint8ClampedArray(rgba.length)) {
  if (rgba.length !== map.length * 4) throw new Error(`blend: ${rgba.length / 4} pixels but map has ${map.length}`);
  const style = opts.style ?? 'heatmap';
  const alpha = clamp(opts.alpha ?? (style === 'heatmap' ? 0.55 : 0.6), 0, 1);
  const keep = 1 - alpha;
  for (let i = 0; i < map.length; i++) {
    const j = i * 4;
    const m = map[i];
    if (style === 'spotlight') {
      const gain = 1 - alpha * (1 - Math.sqrt(Math.max(0, m)));
      out[j] = rgba[j] * gain;
      out[j + 1] = rgba[j + 1] * gain;
      out[j + 2] = rgba[j + 2] * gain;
    } else {
      const c = (m > 0 ? (m >= 1 ? 255 : Math.round(m * 255)) : 0) * 3;
      out[j] = rgba[j] * keep + VIRIDIS[c] * alpha;
      out[j + 1] = rgba[j + 1] * keep + VIRIDIS[c + 1] * alpha;
      out[j + 2] = rgba[j + 2] * keep + VIRIDIS[c + 2] * alpha;
    }
    out[j + 3] = rgba[j + 3];
  }
  return out;
}

/** Pixel box of grid cell (row, col) in a width×height image: [x0, y0, x1, y1). */
export function cellBox(row, col, grid, width, height) {
  return {
    x0: Math.round((col * width) / grid.w),
    y0: Math.round((row * height) / grid.h),
    x1: Math.round(((col + 1) * width) / grid.w),
    y1: Math.round(((row + 1) * height) / grid.h),
  };
}

/** Largest size ≤ maxSide on the long edge with the image's aspect ratio. */
export function fitSize(width, height, maxSide) {
  const s = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * s)), height: Math.max(1, Math.round(height * s)) };
}

function clamp(v, lo, hi) {
  return v < lo ? lo : v > hi ? hi : v;
}
