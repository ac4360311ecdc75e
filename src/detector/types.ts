// What every part of the service agrees a detection is: the detector stage produces these, the
// decoding rules, the per-word grounding, the API and the evaluation read them.
import { z } from 'zod';

/** The 80 COCO object categories in the detectors' class-index order (COCO category order). */
export const COCO_CATEGORIES = [
  'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat', 'traffic light',
  'fire hydrant', 'stop sign', 'parking meter', 'bench', 'bird', 'cat', 'dog', 'horse', 'sheep', 'cow',
  'elephant', 'bear', 'zebra', 'giraffe', 'backpack', 'umbrella', 'handbag', 'tie', 'suitcase', 'frisbee',
  'skis', 'snowboard', 'sports ball', 'kite', 'baseball bat', 'baseball glove', 'skateboard', 'surfboard', 'tennis racket', 'bottle',
  'wine glass', 'cup', 'fork', 'knife', 'spoon', 'bowl', 'banana', 'apple', 'sandwich', 'orange',
  'broccoli', 'carrot', 'hot dog', 'pizza', 'donut', 'cake', 'chair', 'couch', 'potted plant', 'bed',
  'dining table', 'toilet', 'tv', 'laptop', 'mouse', 'remote', 'keyboard', 'cell phone', 'microwave', 'oven',
  'toaster', 'sink', 'refrigerator', 'book', 'clock', 'vase', 'scissors', 'teddy bear', 'hair drier', 'toothbrush',
] as const;
export type CocoCategory = (typeof COCO_CATEGORIES)[number];

/**
 * One detected object as the detector stage returns it: box corners as fractions (0–1) of the
 * image's width and height, so it holds for the original image whatever size the detector saw
 * (the same layout as ../shared/data/flickr8k-detections: [x1, y1, x2, y2, score, class]).
 */
export const RawDetectionSchema = z.object({
  classIndex: z.number().int().min(0).max(79).describe('index into COCO_CATEGORIES'),
  score: z.number().min(0).max(1),
  x1: z.number(),
  y1: z.number(),
  x2: z.number(),
  y2: z.number(),
});
export type RawDetection = z.infer<typeof RawDetectionSchema>;
