// Per-word grounding: which detected box an object word refers to. Pure: no model, no I/O.
//
// A word that names a COCO category (categoryOf: "dog", "man" → person) is grounded in one of the
// detections of that category: the one whose box holds the most of the word's attention α_t.
// With no detection of its category the word is not grounded (reason not_detected).
import { categoryOf } from './categories.ts';

/** A box as fractions (0–1) of the image's width and height, corners (x1, y1) top-left, (x2, y2) bottom-right. */
export interface FractionBox {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export interface CategoryBox extends FractionBox {
  category: string;
}

export type WordGrounding =
  | { category: string; detection: number; attentionMass: number }
  | { category: string; grounded: false; reason: 'not_detected' };

/**
 * The box rasterised onto the h×w attention grid: cell (r, c) covers [c/w, (c+1)/w) × [r/h, (r+1)/h)
 * of the image (the encoder squashes the whole image into its square, so the grid divides both
 * sides evenly), and its weight is the share of the cell's area inside the box (0–1). Area shares,
 * not "cell centre inside", so a box smaller than a cell still holds some mass, and a box edge
 * that moves a little moves the mass a little.
 */
export function boxCellWeights(box: FractionBox, h: number, w: number): Float32Array {
  const out = new Float32Array(h * w);
  const x1 = clamp01(Math.min(box.x1, box.x2)), x2 = clamp01(Math.max(box.x1, box.x2));
  const y1 = clamp01(Math.min(box.y1, box.y2)), y2 = clamp01(Math.max(box.y1, box.y2));
  for (let r = 0; r < h; r++) {
    // Overlap of [r/h, (r+1)/h) with [y1, y2), as a share of the cell's height 1/h.
    const oy = Math.max(0, Math.min((r + 1) / h, y2) - Math.max(r / h, y1)) * h;
    if (oy <= 0) continue;
    for (let c = 0; c < w; c++) {
      const ox = Math.max(0, Math.min((c + 1) / w, x2) - Math.max(c / w, x1)) * w;
      if (ox > 0) out[r * w + c] = ox * oy;
    }
  }
  return out;
}

/** Σ_cells α · weight: the attention mass inside the box (α sums to 1, so 0–1). */
export function attentionInBox(alpha: ArrayLike<number>, box: FractionBox, h: number, w: number): number {
  if (alpha.length !== h * w) throw new Error(`attention has ${alpha.length} cells, the grid ${h}×${w} needs ${h * w}`);
  const weights = boxCellWeights(box, h, w);
  let mass = 0;
  for (let i = 0; i < weights.length; i++) if (weights[i] > 0) mass += alpha[i] * weights[i];
  return Math.min(1, Math.max(0, mass));
}

/**
 * Grounding for every word (undefined for words that name no category). `detections` are the
 * image's shown detections, best score first: on equal mass the earlier (higher score) one wins.
 * `alpha` is each word's flat attention over the h×w grid.
 */
export function assignGrounding(words: { word: string; alpha: ArrayLike<number> }[], detections: CategoryBox[], grid: { h: number; w: number }): (WordGrounding | undefined)[] {
  return words.map(({ word, alpha }) => {
    const category = categoryOf(word.toLowerCase());
    if (!category) return undefined;
    let best: { detection: number; attentionMass: number } | undefined;
    detections.forEach((d, i) => {
      if (d.category !== category) return;
      const mass = attentionInBox(alpha, d, grid.h, grid.w);
      if (!best || mass > best.attentionMass) best = { detection: i, attentionMass: mass };
    });
    // The mass is reported to 4 decimals (the answer's maps use as many by default).
    return best ? { category, detection: best.detection, attentionMass: Math.round(best.attentionMass * 1e4) / 1e4 } : { category, grounded: false, reason: 'not_detected' };
  });
}

const clamp01 = (v: number) => (Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0);
