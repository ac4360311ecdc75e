// Which of the detector's raw detections an answer shows, and their boxes in image pixels.
import { COCO_CATEGORIES, type RawDetection } from '../detector/types.ts';
import type { Detection } from '../service/schemas.ts';
import type { CategoryBox } from './assign.ts';

/**
 * Detections scoring below this are neither listed nor used to ground a word. 0.2 is where the
 * detector's image-level category recall is 0.73 at precision 0.74 on COCO photos (issue 17),
 * and the score at which the decoding treats a category as present.
 */
export const DISPLAY_THRESHOLD = 0.2;
/** At most this many detections per image (the best): a page of boxes, not a hundred. */
export const DISPLAY_LIMIT = 20;

/** Detections worth showing: score ≥ DISPLAY_THRESHOLD, boxes clipped to the image and non-empty, best first, at most DISPLAY_LIMIT. */
export function shownDetections(raw: readonly RawDetection[]): (RawDetection & CategoryBox)[] {
  return raw
    .filter((d) => d.score >= DISPLAY_THRESHOLD && COCO_CATEGORIES[d.classIndex] !== undefined)
    .map((d) => ({ ...d, category: COCO_CATEGORIES[d.classIndex], x1: clamp01(Math.min(d.x1, d.x2)), y1: clamp01(Math.min(d.y1, d.y2)), x2: clamp01(Math.max(d.x1, d.x2)), y2: clamp01(Math.max(d.y1, d.y2)) }))
    .filter((d) => d.x2 > d.x1 && d.y2 > d.y1)
    .sort((a, b) => b.score - a.score)
    .slice(0, DISPLAY_LIMIT);
}

/** A detection as the API shows it: box x, y, w, h in pixels of the width×height image (0.1 px). */
export function toApiDetection(d: RawDetection, width: number, height: number): Detection {
  const x = round1(d.x1 * width), y = round1(d.y1 * height);
  return {
    category: COCO_CATEGORIES[d.classIndex],
    score: Math.round(d.score * 1000) / 1000,
    box: { x, y, w: round1(d.x2 * width - x), h: round1(d.y2 * height - y) },
  };
}

const clamp01 = (v: number) => (Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0);
const round1 = (v: number) => Math.round(v * 10) / 10;
