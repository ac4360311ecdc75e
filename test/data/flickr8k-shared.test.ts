// Real Flickr8k from ../shared (override: SHARED_DIR, resolved relative to the repo root); skipped when absent.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { loadDataset } from '../../src/data/load.ts';
import { tokenize } from '../../src/data/tokenize.ts';
import { Vocabulary } from '../../src/data/vocab.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const DIR = resolve(REPO, process.env.SHARED_DIR ?? '../shared', 'data/flickr8k');
const skip = existsSync(`${DIR}/captions.txt`) ? false : `Flickr8k not found at ${DIR} (set SHARED_DIR to the folder holding data/flickr8k/)`;

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
