import { fileURLToPath } from 'node:url';
import t from 'tap';
import { karpathySplits } from '../../src/data/karpathy.ts';
import { loadDataset } from '../../src/data/load.ts';

const file = fileURLToPath(new URL('../fixtures/data/dataset_karpathy.json', import.meta.url));

t.test('splits, filepath joined, raw captions trimmed, restval counts as train', async (t) => {
  t.same(loadDataset({ format: 'karpathy', captions: file, split: 'train' }), [
    { image: 'train2014/t1.jpg', captions: ['A man riding a horse.', 'Someone on a horse'] },
    { image: 'val2014/r1.jpg', captions: ['A red bus.'] },
  ]);
  t.same(loadDataset({ format: 'karpathy', captions: file, split: 'val' }), [{ image: 'val2014/v1.jpg', captions: ['Pizza on a table.'] }]);
  t.same(loadDataset({ format: 'karpathy', captions: file, split: 'test' }), [{ image: 'x1.jpg', captions: ['A kite in the sky.'] }], 'no filepath: filename only');
  t.equal(loadDataset({ format: 'karpathy', captions: file }).length, 4, 'no split: all images');
});

t.test('unknown split is an error naming the valid ones', async (t) => {
  t.throws(() => loadDataset({ format: 'karpathy', captions: file, split: 'restval' }), /unknown Karpathy split 'restval'.*train, val, test/);
});

t.test('karpathySplits on in-memory data', async (t) => {
  const s = karpathySplits({ images: [{ filename: 'a.jpg', split: 'restval', sentences: [{ raw: ' x ' }] }] });
  t.same(s, { train: [{ image: 'a.jpg', captions: ['x'] }], val: [], test: [] });
});
