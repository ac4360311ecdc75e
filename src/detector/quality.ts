// How well detections match COCO boxes, the numbers the detector and its input size are chosen
// by (scripts/eval-detector.ts) and its tests bound (test/detector/quality.test.ts):
//   image level, per score threshold τ: predicted = categories with a detection ≥ τ, truth =
//     categories with a box; precision = Σ|pred ∩ truth| / Σ|pred|, recall = Σ|pred ∩ truth| / Σ|truth|
//     (summed over images);
//   box recall = share of ground-truth boxes that some detection ≥ τ of their category overlaps
//     with IoU ≥ 0.5; box precision = share of detections ≥ τ that overlap a box of their category so.
import type { ImageObjects } from '../eval/grounding/instances.ts';
import { COCO_CATEGORIES, type RawDetection } from './types.ts';

export interface QualityItem {
  truth: ImageObjects;
  detections: RawDetection[];
}

export interface Quality {
  threshold: number;
  precision: number;
  recall: number;
  boxRecall: number;
  boxPrecision: number;
}

type Corners = [number, number, number, number];

export function iou(a: Corners, b: Corners): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}

/** Ground-truth boxes of one category as corner fractions ([x, y, w, h] pixels in COCO). */
function truthBoxes(truth: ImageObjects, category: string): Corners[] {
  return (truth.boxes.get(category) ?? []).map(([x, y, w, h]) => [x / truth.width, y / truth.height, (x + w) / truth.width, (y + h) / truth.height]);
}

const corners = (d: RawDetection): Corners => [d.x1, d.y1, d.x2, d.y2];

export function detectionQuality(items: QualityItem[], thresholds: number[], minIou = 0.5): Quality[] {
  return thresholds.map((threshold) => {
    let hit = 0, predicted = 0, present = 0, boxes = 0, boxesFound = 0, kept = 0, keptRight = 0;
    for (const { truth, detections } of items) {
      const confident = detections.filter((d) => d.score >= threshold);
      const pred = new Set(confident.map((d) => COCO_CATEGORIES[d.classIndex] as string));
      predicted += pred.size;
      present += truth.boxes.size;
      for (const c of pred) if (truth.boxes.has(c)) hit++;
      for (const category of truth.boxes.keys()) {
        const mine = confident.filter((d) => COCO_CATEGORIES[d.classIndex] === category).map(corners);
        for (const box of truthBoxes(truth, category)) {
          boxes++;
          if (mine.some((d) => iou(d, box) >= minIou)) boxesFound++;
        }
      }
      for (const d of confident) {
        kept++;
        if (truthBoxes(truth, COCO_CATEGORIES[d.classIndex]).some((box) => iou(corners(d), box) >= minIou)) keptRight++;
      }
    }
    return {
      threshold,
      precision: predicted ? hit / predicted : 1,
      recall: present ? hit / present : 1,
      boxRecall: boxes ? boxesFound / boxes : 1,
      boxPrecision: kept ? keptRight / kept : 1,
    };
  });
}
