// The detector stage's contract: CenterNet decoding on hand-made maps, clear errors for missing
// or altered files and bad inputs, and the loaded detector's identity.
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { decodeCenterNet } from '../../src/detector/centernet.ts';
import { Detector } from '../../src/detector/detector.ts';
import { detectorManifest } from '../../src/detector/manifest.ts';
import { prepareImage } from '../../src/encoder/preprocess.ts';
import { COCO_MINI, DETECTOR_MODELS, skipWithoutDetector } from './shared.ts';

t.test('decodeCenterNet: 3×3 peaks only, best first, boxes from the cell centre and wh', async (t) => {
  const [h, w, classes] = [4, 4, 2];
  const heat = new Float32Array(classes * h * w);
  heat[1 * 4 + 1] = 0.9; // class 0, cell (x 1, y 1): a peak
  heat[1 * 4 + 2] = 0.5; // its neighbour (x 2, y 1): suppressed
  heat[16 + 3 * 4 + 3] = 0.6; // class 1, cell (3, 3): a peak at the corner
  heat[16 + 0] = 0.05; // below minScore
  const wh = new Float32Array(4 * h * w).fill(2); // 2 px to every edge
  const dets = decodeCenterNet({ heat, wh, classes, h, w }, { inputSize: 16, minScore: 0.1 }); // stride 4
  t.same(dets.map((d) => [d.classIndex, d.score]), [[0, 0.8999999761581421], [1, 0.6000000238418579]]);
  // cell (1, 1) → centre (4, 4) px ± 2 → [2, 6] / 16
  t.same([dets[0].x1, dets[0].y1, dets[0].x2, dets[0].y2], [2 / 16, 2 / 16, 6 / 16, 6 / 16]);
  // cell (3, 3) → centre (12, 12) ± 2 → [10, 14] / 16
  t.same([dets[1].x1, dets[1].x2], [10 / 16, 14 / 16]);
  t.equal(decodeCenterNet({ heat, wh: new Float32Array(4 * h * w).fill(100), classes, h, w }, { inputSize: 16, minScore: 0.1 })[0].x2, 1, 'corners clipped to the image');
  t.equal(decodeCenterNet({ heat, wh, classes, h, w }, { inputSize: 16, minScore: 0.1, maxDetections: 1 }).length, 1);
});

t.test('missing or altered files: a clear DetectorFileError naming the file and where to get it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'detector-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const [json, bin] = detectorManifest.detectors.centernet.files;
  const err = await Detector.load({ modelsDir: dir }).catch((e: Error) => e);
  t.equal((err as Error).name, 'DetectorFileError');
  t.match((err as Error).message, join(dir, json.file));
  t.match((err as Error).message, json.url);
  t.match((err as Error).message, 'MODELS_DIR');
  await mkdir(join(dir, 'detector'));
  await writeFile(join(dir, json.file), '{"format": "graph-model"}');
  await writeFile(join(dir, bin.file), 'not weights');
  await t.rejects(Detector.load({ modelsDir: dir }), { name: 'DetectorFileError', message: /has sha256 [0-9a-f]{64}, expected [0-9a-f]{64}/ });
  await t.rejects(Detector.load({ modelsDir: dir, name: 'yolo' }), { name: 'DetectorFileError', message: /unknown detector "yolo"/ });
  await t.rejects(Detector.load({ modelsDir: dir, inputSize: 400 }), /not a positive multiple of 32/);
});

t.test('only the weights missing: the error names the .bin', { skip: skipWithoutDetector }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'detector-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const [json, bin] = detectorManifest.detectors.centernet.files;
  await mkdir(join(dir, 'detector'));
  await copyFile(join(DETECTOR_MODELS, json.file), join(dir, json.file));
  await t.rejects(Detector.load({ modelsDir: dir }), { name: 'DetectorFileError', message: new RegExp(`not found at ${join(dir, bin.file)}`) });
});

t.test('a loaded detector: identity for /v1/models, empty batches, wrong tensor sizes refused', { skip: skipWithoutDetector }, async (t) => {
  const det = await Detector.load({ modelsDir: DETECTOR_MODELS });
  t.teardown(() => det.dispose());
  t.equal(det.id, 'centernet-mobilenetv3');
  t.equal(det.sha256, '1b635a15009071f506f9f2b3519b31c072c534888989f30d269ffd44734ef7ef');
  t.equal(det.inputSize % 32, 0);
  t.same(await det.detect([]), []);
  await t.rejects(det.detect([new Float32Array(3 * 224 * 224)]), /image 0 has 150528 values, expected 3×448×448/);
  // A flat grey image (the mean colour: all-zero normalised tensor) holds no confident object.
  const [grey] = await det.detect([new Float32Array(3 * 448 * 448)]);
  t.ok(grey.every((d) => d.score < 0.3), `no confident detection on a flat image (${grey.length} weak ones)`);
  // A batch gives each image what it gets alone.
  const zebras = await prepareImage(await readFile(join(COCO_MINI, 'train2017', '000000281789.jpg')), 448);
  const [alone] = await det.detect([zebras]);
  const batch = await det.detect([new Float32Array(3 * 448 * 448), zebras]);
  t.equal(batch.length, 2);
  t.equal(batch[1].length, alone.length);
  t.ok(batch[1].every((d, i) => d.classIndex === alone[i].classIndex && Math.abs(d.score - alone[i].score) < 1e-5), 'batched = alone');
  t.ok(alone.some((d) => d.classIndex === 22 && d.score >= 0.5), 'a confident zebra in the zebra photo');
});
