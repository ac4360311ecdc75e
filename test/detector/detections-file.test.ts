// The detection file for an image set: one row per photo in the shared file's layout, and a
// killed run (a torn last line) resumes without redoing or losing photos.
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { buildDetectionsFile, DetectionsFileSchema, detectionsKey } from '../../src/detector/detections-file.ts';
import { Detector } from '../../src/detector/detector.ts';
import { COCO_MINI, DETECTOR_MODELS, skipWithoutDetector } from './shared.ts';

const NAMES = ['000000281789.jpg', '000000231460.jpg', '000000000790.jpg'];

t.test('builds, then resumes after a torn line, detecting each photo once', { skip: skipWithoutDetector }, async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'detections-'));
  const det = await Detector.load({ modelsDir: DETECTOR_MODELS });
  t.teardown(async () => { await det.dispose(); await rm(root, { recursive: true, force: true }); });
  let calls = 0;
  const counting = { id: det.id, sha256: det.sha256, inputSize: det.inputSize, tensorSize: det.tensorSize, minScore: det.minScore,
    detect: (imgs: Parameters<Detector['detect']>[0]) => { calls += imgs.length; return det.detect(imgs); } };
  const imagesDir = join(COCO_MINI, 'train2017');
  await buildDetectionsFile({ imagesDir, names: NAMES.slice(0, 2), rootDir: root, detector: counting });
  t.equal(calls, 2);
  const progress = join(root, detectionsKey(det), 'progress.jsonl');
  await appendFile(progress, '["000000000790.jpg", [[0.1, 0.2'); // killed mid-line
  const path = await buildDetectionsFile({ imagesDir, names: NAMES, rootDir: root, detector: counting });
  t.equal(calls, 3, 'only the unfinished photo is detected again');
  const file = DetectionsFileSchema.parse(JSON.parse(await readFile(path, 'utf8')));
  t.same(Object.keys(file.images), NAMES, 'photos in the given order');
  t.equal(file.categories.length, 80);
  const zebras = file.images[NAMES[0]].filter(([, , , , score, cls]) => cls === 22 && score >= 0.5);
  t.ok(zebras.length >= 1, 'the zebra photo has a confident zebra');
  const rows = Object.values(file.images).flat();
  t.ok(rows.every((r) => r[4] >= det.minScore && r.slice(0, 4).every((v) => v >= 0 && v <= 1)), `all ${rows.length} rows ≥ minScore with corners in [0, 1]`);
  t.match(path, /centernet-mobilenetv3-1b635a15009071f5-384/);
});
