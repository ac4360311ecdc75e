import { fileURLToPath } from 'node:url';
import t from 'tap';
import { groupCocoCaptions } from '../../src/data/coco.ts';
import { loadDataset } from '../../src/data/load.ts';

const file = fileURLToPath(new URL('../fixtures/data/captions_coco.json', import.meta.url));

t.test('captions grouped per image, in images order, trimmed', async (t) => {
  t.same(loadDataset({ format: 'coco', captions: file }), [
    { image: 'COCO_val2014_000000000042.jpg', captions: ['Two giraffes eating.'] },
    { image: 'COCO_val2014_000000000007.jpg', captions: ['A train on the tracks.', 'A locomotive at a station'] },
  ]);
});

t.test('split is refused for COCO', async (t) => {
  t.throws(() => loadDataset({ format: 'coco', captions: file, split: 'train' }), /one split each/);
});

t.test('annotation for an unknown image and duplicate ids are errors', async (t) => {
  t.throws(() => groupCocoCaptions({ images: [{ id: 1, file_name: 'a.jpg' }], annotations: [{ image_id: 2, caption: 'x' }] }), /annotations\[0\]: image_id 2/);
  t.throws(() => groupCocoCaptions({ images: [{ id: 1, file_name: 'a.jpg' }, { id: 1, file_name: 'b.jpg' }], annotations: [] }), /duplicate id 1/);
});
