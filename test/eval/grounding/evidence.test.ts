// Precomputed detections files: the shared Flickr8k file reads as RawDetection[] per photo; wrong files are clear errors.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { COCO_CATEGORIES } from '../../../src/detector/types.ts';
import { loadDetectionsFile } from '../../../src/detector/detections-file.ts';
import { SHARED_DIR } from '../../helpers/shared-dir.ts';

const dir = mkdtempSync(join(tmpdir(), 'detections-'));
const write = (name: string, body: unknown) => {
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify(body));
  return p;
};

t.test('rows become RawDetections; other category lists and shapes are refused', async (t) => {
  const ok = loadDetectionsFile(write('ok.json', { categories: COCO_CATEGORIES, images: { 'a.jpg': [[0.1, 0.2, 0.5, 0.6, 0.9, 16]], 'b.jpg': [] } }));
  t.same(ok.get('a.jpg'), [{ classIndex: 16, score: 0.9, x1: 0.1, y1: 0.2, x2: 0.5, y2: 0.6 }]);
  t.same(ok.get('b.jpg'), []);
  t.throws(() => loadDetectionsFile(write('order.json', { categories: [...COCO_CATEGORIES].reverse(), images: {} })), /not the 80 COCO categories/);
  t.throws(() => loadDetectionsFile(write('shape.json', { categories: COCO_CATEGORIES, images: { 'a.jpg': [[0.1, 0.2, 0.5]] } })), /not a detections file/);
  t.throws(() => loadDetectionsFile(join(dir, 'missing.json')), /not a readable JSON file/);
});

const shared = `${SHARED_DIR}/data/flickr8k-detections/centernet-512.json`;
t.test('the shared Flickr8k CenterNet file', { skip: existsSync(shared) ? false : `${shared} not found (set SHARED_DIR)` }, async (t) => {
  const d = loadDetectionsFile(shared);
  t.equal(d.size, 7000, 'every Flickr8k photo');
  const dogs = d.get('2513260012_03d33305cf.jpg')!;
  t.equal(COCO_CATEGORIES[dogs[0].classIndex], 'dog', 'two dogs in the photo: the best box is a dog');
  t.ok(dogs.every((x) => x.score >= 0.1 && x.x1 >= 0 && x.x2 <= 1), 'scores ≥ 0.1, corners as fractions');
});
