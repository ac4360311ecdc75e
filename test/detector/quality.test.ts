// The detector finds what COCO's boxes say, on coco-mini-train's 80 photos prepared as the
// service prepares them (448² tensor; the detector at its default input size). The bounds sit
// below the measured values (docs/detector.md, scripts/eval-detector.ts) with a margin.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { Detector } from '../../src/detector/detector.ts';
import { detectionQuality, iou, type QualityItem } from '../../src/detector/quality.ts';
import { prepareImage } from '../../src/encoder/preprocess.ts';
import { loadInstances, type ImageObjects } from '../../src/eval/grounding/instances.ts';
import { COCO_MINI, DETECTOR_MODELS, skipWithoutDetector } from './shared.ts';

t.test('iou and detectionQuality on a hand-made image', async (t) => {
  t.equal(iou([0, 0, 2, 2], [1, 1, 3, 3]), 1 / 7);
  t.equal(iou([0, 0, 1, 1], [2, 2, 3, 3]), 0);
  // A 100×100 image with one dog box (COCO [x, y, w, h] pixels) and one cat box.
  const truth: ImageObjects = { width: 100, height: 100, boxes: new Map([['dog', [[0, 0, 50, 50]]], ['cat', [[50, 50, 50, 50]]]]) };
  const items: QualityItem[] = [{
    truth,
    detections: [
      { classIndex: 16, score: 0.9, x1: 0, y1: 0, x2: 0.5, y2: 0.45 }, // dog, IoU 0.9
      { classIndex: 17, score: 0.35, x1: 0, y1: 0, x2: 1, y2: 1 }, // horse: not there
      { classIndex: 15, score: 0.25, x1: 0, y1: 0, x2: 0.5, y2: 0.5 }, // cat, in the dog's place
    ],
  }];
  const [at02, at05] = detectionQuality(items, [0.2, 0.5]);
  t.same(at02, { threshold: 0.2, precision: 2 / 3, recall: 1, boxRecall: 0.5, boxPrecision: 1 / 3 });
  t.same(at05, { threshold: 0.5, precision: 1, recall: 0.5, boxRecall: 0.5, boxPrecision: 1 });
});

t.test('on coco-mini-train the detector finds the categories and boxes COCO marks', { skip: skipWithoutDetector }, async (t) => {
  const truth = loadInstances(join(COCO_MINI, 'instances_train2017.json'));
  const det = await Detector.load({ modelsDir: DETECTOR_MODELS });
  t.teardown(() => det.dispose());
  const items: QualityItem[] = [];
  for (const [name, objects] of truth) {
    const img = await prepareImage(await readFile(join(COCO_MINI, 'train2017', name)), 448);
    items.push({ truth: objects, detections: (await det.detect([img]))[0] });
  }
  t.equal(items.length, 80);
  const [at02, at03, at05] = detectionQuality(items, [0.2, 0.3, 0.5]);
  const show = (q: typeof at02) => `P ${q.precision.toFixed(3)}, R ${q.recall.toFixed(3)}, box R ${q.boxRecall.toFixed(3)}, box P ${q.boxPrecision.toFixed(3)}`;
  t.comment(`≥ 0.2: ${show(at02)}; ≥ 0.3: ${show(at03)}; ≥ 0.5: ${show(at05)}`);
  // Image level: which categories are in the photo.
  t.ok(at02.recall >= 0.6, `≥ 0.2 finds ≥ 60% of the categories present (${at02.recall.toFixed(3)})`);
  t.ok(at02.precision >= 0.68, `≥ 0.2: ≥ 68% of the categories it names are there (${at02.precision.toFixed(3)})`);
  t.ok(at03.precision >= 0.85, `≥ 0.3: ≥ 85% of the categories it names are there (${at03.precision.toFixed(3)})`);
  t.ok(at03.recall >= 0.42, `≥ 0.3 finds ≥ 42% of the categories present (${at03.recall.toFixed(3)})`);
  // Boxes: a confident detection lies on a box of its class (IoU ≥ 0.5), and boxes are found.
  t.ok(at05.boxPrecision >= 0.85, `≥ 85% of detections ≥ 0.5 have IoU ≥ 0.5 with a box of their class (${at05.boxPrecision.toFixed(3)})`);
  t.ok(at02.boxRecall >= 0.3, `≥ 30% of COCO's boxes found at IoU ≥ 0.5 by a detection ≥ 0.2 (${at02.boxRecall.toFixed(3)})`);
});
