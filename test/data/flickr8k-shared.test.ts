// Real Flickr8k from ../shared (test/helpers/shared-dir.ts); skipped when absent.
import { join } from 'node:path';
import t from 'tap';
import { loadDataset } from '../../src/data/load.ts';
import { tokenize } from '../../src/data/tokenize.ts';
import { Vocabulary } from '../../src/data/vocab.ts';
import { SHARED_DIR, skipWithoutShared } from '../helpers/shared-dir.ts';

const DIR = join(SHARED_DIR, 'data/flickr8k');
const skip = skipWithoutShared('Flickr8k', `${DIR}/captions.txt`);

t.test('Flickr8k train/dev and vocabulary', { skip }, async (t) => {
  const captions = `${DIR}/captions.txt`;
  const train = loadDataset({ format: 'auto', captions, split: `${DIR}/train.txt` });
  const dev = loadDataset({ format: 'flickr8k', captions, split: `${DIR}/dev.txt` });
  t.equal(train.length, 6000);
  t.equal(dev.length, 1000);
  t.ok(train.every((i) => i.captions.length === 5), 'every train image has 5 captions');
  t.ok(dev.every((i) => i.captions.length === 5), 'every dev image has 5 captions');
  t.equal(new Set([...train, ...dev].map((i) => i.image)).size, 7000, 'train and dev are disjoint');
  const vocab = Vocabulary.build(train.flatMap((i) => i.captions.map(tokenize)), 5);
  t.comment(`Flickr8k train vocabulary (count >= 5, with 4 specials): ${vocab.size} words`);
  t.ok(vocab.size > 1500 && vocab.size < 5000, `vocabulary size ${vocab.size} in [1500, 5000]`);
});
