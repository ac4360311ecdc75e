// Upsampling of attention grids to image resolution (numeric work on typed arrays only).
import type { Grid } from './grid.ts';

/** Samples per grid cell used before blurring; the paper's figures upsample 14×14 by 16. */
const SAMPLES_PER_CELL = 16;

export interface SoftOptions {
  /** Gaussian blur sigma in grid cells (0 = none). Default 0.5: smooth yet still local. */
  blurCells?: number;
}

/**
 * Bilinear resampling of a sw×sh map to dw×dh, treating values as sitting at cell centres
 * (edges clamp), so a cell's value peaks exactly under that cell's centre.
 */
export function resizeBilinear(src: Float32Array, sw: number, sh: number, dw: number, dh: number): Float32Array {
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

/** Separable Gaussian blur with edge replication; sigmas in pixels (< 0.3 skips that axis). */
export function gaussianBlur(src: Float32Array, w: number, h: number, sigmaX: number, sigmaY: number): Float32Array {
  const tmp = blurAxis(src, w, h, sigmaX, 1, w);
  return blurAxis(tmp, h, w, sigmaY, w, 1);
}

// Blurs along one axis: `len` samples spaced `step` apart, for `count` lines spaced `stride` apart.
function blurAxis(src: Float32Array, len: number, count: number, sigma: number, step: number, stride: number): Float32Array {
  if (!(sigma >= 0.3)) return src;
  const radius = Math.ceil(sigma * 3);
  const kernel = new Float32Array(radius * 2 + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) sum += kernel[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < kernel.length; i++) kernel[i] /= sum;
  const out = new Float32Array(src.length);
  for (let line = 0; line < count; line++) {
    const base = line * stride;
    for (let i = 0; i < len; i++) {
      let acc = 0;
      for (let k = -radius; k <= radius; k++) {
        const j = clamp(i + k, 0, len - 1);
        acc += kernel[k + radius] * src[base + j * step];
      }
      out[base + i * step] = acc;
    }
  }
  return out;
}

/**
 * Smooth W×H map from a soft-attention grid, peak rescaled to 1.
 * Bilinear + blur run at ≤16 samples per cell, then a final bilinear resize to W×H:
 * the map is smooth, so this looks the same as blurring at full resolution but keeps
 * the cost independent of the photo's size (a 4000 px photo would need ~900-tap kernels).
 */
export function upsampleSoft(grid: Grid, width: number, height: number, opts: SoftOptions = {}): Float32Array {
  const blurCells = opts.blurCells ?? 0.5;
  const ww = Math.min(width, grid.w * SAMPLES_PER_CELL);
  const wh = Math.min(height, grid.h * SAMPLES_PER_CELL);
  let map = resizeBilinear(grid.data, grid.w, grid.h, ww, wh);
  if (blurCells > 0) map = gaussianBlur(map, ww, wh, (blurCells * ww) / grid.w, (blurCells * wh) / grid.h);
  if (ww !== width || wh !== height) map = resizeBilinear(map, ww, wh, width, height);
  return rescaleToPeak(map);
}

/** Pixel box [x0,x1)×[y0,y1) covered by grid cell `index`, at least 1 px on each side. */
export function cellBox(gridW: number, gridH: number, index: number, width: number, height: number) {
  const cx = index % gridW;
  const cy = Math.floor(index / gridW);
  const x0 = Math.min(Math.floor((cx * width) / gridW), width - 1);
  const y0 = Math.min(Math.floor((cy * height) / gridH), height - 1);
  const x1 = Math.max(Math.floor(((cx + 1) * width) / gridW), x0 + 1);
  const y1 = Math.max(Math.floor(((cy + 1) * height) / gridH), y0 + 1);
  return { x0, y0, x1, y1 };
}

/** Hard attention: 1 inside the sampled cell's box, 0 elsewhere — crisp edges, no smoothing. */
export function hardMap(gridW: number, gridH: number, index: number, width: number, height: number): Float32Array {
  const map = new Float32Array(width * height);
  const { x0, y0, x1, y1 } = cellBox(gridW, gridH, index, width, height);
  for (let y = y0; y < y1; y++) map.fill(1, y * width + x0, y * width + x1);
  return map;
}

/** Rescales so the peak is 1 (an all-zero map stays zero). In place; returns the array. */
export function rescaleToPeak(map: Float32Array): Float32Array {
  let max = 0;
  for (let i = 0; i < map.length; i++) if (map[i] > max) max = map[i];
  if (max > 0 && max !== 1) for (let i = 0; i < map.length; i++) map[i] /= max;
  return map;
}

export function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
