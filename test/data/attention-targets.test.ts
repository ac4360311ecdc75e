import t from 'tap';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { categoryRegions, rasterise, wordRegions } from '../../src/data/attention-targets.ts';
import { loadDetectionsFile as loadDetections } from '../../src/detector/detections-file.ts';
import { COCO_CATEGORIES } from '../../src/detector/types.ts';
import { Vocabulary } from '../../src/data/vocab.ts';
import { SHARED_DIR } from '../helpers/shared-dir.ts';
import { batchRegions, buildExamples } from '../../src/train/examples.ts';

// A 4×4 grid: cell centres at 0.125, 0.375, 0.625, 0.875 of the width and height.
const grid = { h: 4, w: 4 };
const cells = (m: Uint8Array) => [...m.keys()].filter((i) => m[i]);

t.test('a box covers the cells whose centre it contains', async (t) => {
  // x 0.3–0.7 holds centres 0.375, 0.625 (columns 1, 2); y 0.1–0.6 holds 0.125, 0.375 (rows 0, 1)
  t.same(cells(rasterise([{ x1: 0.3, y1: 0.1, x2: 0.7, y2: 0.6 }], grid)), [1, 2, 5, 6]);
  t.same(cells(rasterise([{ x1: 0, y1: 0, x2: 1, y2: 1 }], grid)), [...Array(16).keys()], 'the whole image');
  // edges included: x1 = 0.625 is column 2's centre, y2 = 0.375 row 1's
  t.same(cells(rasterise([{ x1: 0.625, y1: 0.2, x2: 0.7, y2: 0.375 }], grid)), [6], 'centre on the edge counts');
});

t.test('a box smaller than a cell still gets the cell holding its centre', async (t) => {
  // no cell centre inside; its centre (0.825, 0.85) is in column 3, row 3
  t.same(cells(rasterise([{ x1: 0.8, y1: 0.8, x2: 0.85, y2: 0.9 }], grid)), [15]);
  // on a non-square grid: 2 rows × 3 columns, centre (0.1, 0.9) → row 1, column 0
  t.same(cells(rasterise([{ x1: 0.05, y1: 0.85, x2: 0.15, y2: 0.95 }], { h: 2, w: 3 })), [3]);
  t.same(cells(rasterise([{ x1: 0.3, y1: 0.1, x2: 0.7, y2: 0.6 }, { x1: 0.8, y1: 0.8, x2: 0.85, y2: 0.9 }], grid)), [1, 2, 5, 6, 15], 'union of two boxes');
});

const det = (classIndex: number, score: number, x1: number, y1: number, x2: number, y2: number) => ({ classIndex, score, x1, y1, x2, y2 });
const PERSON = 0, BICYCLE = 1, DOG = 16;

t.test('categories above the score threshold, words that name them', async (t) => {
  const regions = categoryRegions([det(PERSON, 0.5, 0, 0, 0.3, 1), det(PERSON, 0.2, 0.6, 0, 1, 1), det(DOG, 0.35, 0.5, 0.5, 1, 1), det(BICYCLE, 0.29, 0, 0, 1, 1)], 0.3, grid);
  t.same([...regions.keys()].sort(), ['dog', 'person'], 'the 0.2 person and the 0.29 bicycle are below threshold');
  t.same(cells(regions.get('person')!), [0, 4, 8, 12], 'only the confident person box: column 0');
  t.same(cells(regions.get('dog')!), [10, 11, 14, 15]);
  const words = wordRegions(['a', 'man', 'and', 'his', 'puppy', 'near', 'a', 'bike'], regions);
  t.same(words.map((r) => (r ? cells(r) : null)), [null, [0, 4, 8, 12], null, null, [10, 11, 14, 15], null, null, null], 'man → person, puppy → dog, bike not detected');
});

t.test('the detections file: COCO categories, corner fractions, validated', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'targets-'));
  const file = join(dir, 'det.json');
  writeFileSync(file, JSON.stringify({ description: 'x', categories: COCO_CATEGORIES, images: { 'a.jpg': [[0.1, 0.2, 0.3, 0.4, 0.9, 16]], 'b.jpg': [] } }));
  t.same(loadDetections(file).get('a.jpg'), [det(DOG, 0.9, 0.1, 0.2, 0.3, 0.4)]);
  t.same(loadDetections(file).get('b.jpg'), []);
  writeFileSync(file, JSON.stringify({ categories: COCO_CATEGORIES.slice(1), images: {} }));
  t.throws(() => loadDetections(file), /not the 80 COCO categories/);
  writeFileSync(file, JSON.stringify({ categories: COCO_CATEGORIES, images: { 'a.jpg': [[0.1, 0.2, 0.3, 0.4, 0.9, 80]] } }));
  t.throws(() => loadDetections(file), /class 80/);
  writeFileSync(file, JSON.stringify({ categories: COCO_CATEGORIES, images: { 'a.jpg': [[0.1, 0.2, 0.3, 0.9, 16]] } }));
  t.throws(() => loadDetections(file));
});

t.test('training examples: step t holds the region of the word it predicts', async (t) => {
  const vocab = Vocabulary.build([['a', 'man', 'with', 'dog', 'runs']], 1);
  const detections = new Map([['p.jpg', [det(PERSON, 0.8, 0, 0, 0.3, 1), det(DOG, 0.6, 0.5, 0.5, 1, 1)]]]);
  const items = [{ image: 'p.jpg', captions: ['A man with a dog.', 'a dog runs'] }, { image: 'q.jpg', captions: ['a man runs'] }];
  const built = buildExamples(items, new Map([['p.jpg', 0], ['q.jpg', 1]]), vocab, 20, { detections, threshold: 0.3, grid });
  t.equal(built.grounded, 3, 'man and dog, dog; nothing on q.jpg (no detections)');
  const [first, second, third] = built.examples;
  // <start> a man with a dog <end>: step 1 predicts "man", step 4 "dog"
  t.same(first.targets!.map((x) => [x.step, cells(x.region)]), [[1, [0, 4, 8, 12]], [4, [10, 11, 14, 15]]]);
  t.same(second.targets!.map((x) => x.step), [1]);
  t.equal(third.targets, undefined);
  const T = second.tokens.length - 1; // "a dog runs" and "a man runs" have the same length
  const b = batchRegions([third, second], T, 16)!;
  t.equal(b.grounded, 1);
  t.same(cells(b.regions.subarray((1 * T + 1) * 16, (1 * T + 2) * 16)), [10, 11, 14, 15], 'caption 1, step 1');
  t.equal(cells(b.regions).length, 4, 'nothing else');
  t.equal(batchRegions([third], T, 16), undefined, 'no grounded words: no regions');
});

const shared = SHARED_DIR;
const real = join(shared, 'data/flickr8k-detections/centernet-512.json');
t.test('the shared CenterNet detections load', { skip: existsSync(real) ? false : `no ${real} (set SHARED_DIR)` }, async (t) => {
  const d = loadDetections(real);
  t.equal(d.size, 7000, 'every Flickr8k train and dev photo');
  const people = [...d.values()].filter((ds) => ds.some((x) => x.classIndex === PERSON && x.score >= 0.3)).length;
  t.ok(people > 3000, `${people} photos with a person at score ≥ 0.3`);
});
