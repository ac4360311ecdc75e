import { fileURLToPath } from 'node:url';
import t from 'tap';
import { loadFlickrSplit, readFlickrTokenFile } from '../../src/data/flickr8k.ts';

const fx = (name: string) => fileURLToPath(new URL(`../fixtures/data/${name}`, import.meta.url));

t.test('token file groups captions per image (the #N suffix removed)', async (t) => {
  const m = readFlickrTokenFile(fx('flickr8k_captions.txt'));
  t.same([...m.keys()], ['a.jpg', 'b.jpg', 'c.jpg']);
  t.same(m.get('a.jpg'), ['A dog runs .', 'The dog is running !']);
});

t.test('split file selects images in its order', async (t) => {
  const items = loadFlickrSplit(fx('flickr8k_captions.txt'), fx('flickr8k_train.txt'));
  t.same(items.map((i) => i.image), ['a.jpg', 'b.jpg']);
  t.same(items[1].captions, ['Two men in T-shirts .', 'Men talking .']);
});

t.test('a name without captions is an error', async (t) => {
  t.throws(() => loadFlickrSplit(fx('flickr8k_captions.txt'), fx('flickr8k_missing.txt')), /no captions for missing\.jpg/);
});
