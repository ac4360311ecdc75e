// CenterNet's post-processing (the TF graph's tail after tower_0/keypoints and tower_0/wh), in
// TypeScript: the ONNX graph stops at the two head maps and this turns them into boxes.
//
// The original tail: peaks = heat · [heat == maxpool3×3(heat)] (a 3×3 non-maximum suppression),
// the top 100 peaks over all classes and cells, and at a peak of cell (x, y), stride s = 4:
//   x1 = s·x − wh₀, y1 = s·y − wh₁, x2 = s·x + wh₂, y2 = s·y + wh₃   (input pixels).
// Only cells ≥ minScore are examined, so the scan is cheap (most of the 80×h×w map is ~0).
import type { RawDetection } from './types.ts';

export interface CenterNetMaps {
  /** [classes, h, w] class heatmaps (after the sigmoid), one image. */
  heat: Float32Array;
  /** [4, h, w] distances from the cell centre to the left, top, right, bottom edges, input pixels. */
  wh: Float32Array;
  classes: number;
  h: number;
  w: number;
}

export interface DecodeOptions {
  /** Side of the (square) detector input in pixels: boxes become fractions of it. */
  inputSize: number;
  minScore: number;
  /** The graph's TopKV2 k. */
  maxDetections?: number;
}

/** True when v is the maximum of its 3×3 neighbourhood (ties kept, as the graph's Equal does). */
function isPeak(heat: Float32Array, base: number, h: number, w: number, x: number, y: number, v: number): boolean {
  for (let dy = -1; dy <= 1; dy++) {
    const yy = y + dy;
    if (yy < 0 || yy >= h) continue;
    for (let dx = -1; dx <= 1; dx++) {
      const xx = x + dx;
      if (xx < 0 || xx >= w) continue;
      if (heat[base + yy * w + xx] > v) return false;
    }
  }
  return true;
}

const clip01 = (v: number) => Math.min(1, Math.max(0, v));

/** Detections of one image, best first, corners as fractions of the image clipped to [0, 1]. */
export function decodeCenterNet(maps: CenterNetMaps, opts: DecodeOptions): RawDetection[] {
  const { heat, wh, classes, h, w } = maps;
  const plane = h * w;
  const stride = opts.inputSize / w;
  const peaks: { c: number; i: number; v: number }[] = [];
  for (let c = 0; c < classes; c++) {
    const base = c * plane;
    for (let i = 0; i < plane; i++) {
      const v = heat[base + i];
      if (v >= opts.minScore && isPeak(heat, base, h, w, i % w, Math.floor(i / w), v)) peaks.push({ c, i, v });
    }
  }
  // The graph's top-k is over NHWC order (cell-major, then class): ties keep that order.
  peaks.sort((a, b) => b.v - a.v || a.i - b.i || a.c - b.c);
  return peaks.slice(0, opts.maxDetections ?? 100).map(({ c, i, v }) => {
    const cx = (i % w) * stride;
    const cy = Math.floor(i / w) * stride;
    const s = opts.inputSize;
    return {
      classIndex: c,
      score: v,
      x1: clip01((cx - wh[i]) / s),
      y1: clip01((cy - wh[plane + i]) / s),
      x2: clip01((cx + wh[2 * plane + i]) / s),
      y2: clip01((cy + wh[3 * plane + i]) / s),
    };
  });
}
