// Class-agnostic non-maximum suppression: CenterNet's 3×3 peak NMS keeps one box per class per
// place, so one object often comes back as several classes on the same box (a dog 0.60 and a cat
// 0.17 on the same box). Keeping only the best box among those overlapping by more than
// `maxIou` leaves one class per object, as @vladmandic/human's CenterNet wrapper does.
import { iou } from './quality.ts';
import type { RawDetection } from './types.ts';

/** Greedy NMS over detections sorted best first (as decodeCenterNet returns them). */
export function suppressOverlaps(dets: RawDetection[], maxIou: number): RawDetection[] {
  const kept: RawDetection[] = [];
  for (const d of dets) {
    const box: [number, number, number, number] = [d.x1, d.y1, d.x2, d.y2];
    if (kept.every((k) => iou([k.x1, k.y1, k.x2, k.y2], box) <= maxIou)) kept.push(d);
  }
  return kept;
}
