import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { detectFormat, loadDataset } from '../../src/data/load.ts';

const fx = (name: string) => fileURLToPath(new URL(`../fixtures/data/${name}`, import.meta.url));

async function tmpFile(name: string, content: unknown): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'load-')), name);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

t.test('auto-detection by content', async (t) => {
  t.same(loadDataset({ format: 'auto', captions: fx('flickr8k_captions.txt') }).map((i) => i.image), ['a.jpg', 'b.jpg', 'c.jpg']);
  t.same(
    loadDataset({ format: 'auto', captions: fx('flickr8k_captions.txt'), split: fx('flickr8k_train.txt') }).map((i) => i.image),
    ['a.jpg', 'b.jpg'],
  );
  t.equal(loadDataset({ format: 'auto', captions: fx('dataset_karpathy.json'), split: 'val' })[0].image, 'val2014/v1.jpg');
  t.equal(loadDataset({ format: 'auto', captions: fx('captions_coco.json') }).length, 2);
  t.equal(detectFormat('x.jpg#0\tA dog .\n'), 'flickr8k');
  t.equal(detectFormat('\n  {"images": [], "annotations": []}'), 'coco');
  t.equal(detectFormat('{"images": []}'), 'karpathy');
});

t.test('undetectable content is a clear error', async (t) => {
  t.throws(() => detectFormat('just some text\n', 'f.txt'), /f\.txt: cannot detect format/);
  t.throws(() => detectFormat('{"foo": 1}', 'f.json'), /neither Karpathy .* nor COCO/);
  t.throws(() => detectFormat('{"images": [', 'f.json'), /f\.json: invalid JSON/);
});

t.test('missing files', async (t) => {
  t.throws(() => loadDataset({ format: 'auto', captions: '/nonexistent/captions.txt' }), /captions file not found: \/nonexistent\/captions\.txt/);
  t.throws(
    () => loadDataset({ format: 'flickr8k', captions: fx('flickr8k_captions.txt'), split: '/nonexistent/train.txt' }),
    /split file not found: \/nonexistent\/train\.txt/,
  );
});

t.test('wrong shape reports the zod path', async (t) => {
  const karpathy = await tmpFile('k.json', { images: [{ filename: 'a.jpg', split: 'train', sentences: [{ raw: 'ok' }, { raw: 3 }] }] });
  t.throws(() => loadDataset({ format: 'auto', captions: karpathy }), /k\.json: wrong shape: images\[0\]\.sentences\[1\]\.raw:/);
  const badSplit = await tmpFile('s.json', { images: [{ filename: 'a.jpg', split: 'dev', sentences: [] }] });
  t.throws(() => loadDataset({ format: 'karpathy', captions: badSplit }), /images\[0\]\.split:/);
  const coco = await tmpFile('c.json', { images: [{ id: '1', file_name: 'a.jpg' }], annotations: [] });
  t.throws(() => loadDataset({ format: 'coco', captions: coco }), /c\.json: wrong shape: images\[0\]\.id:/);
  t.throws(() => loadDataset({ format: 'karpathy', captions: fx('flickr8k_captions.txt') }), /invalid JSON/);
});

t.test('an image with zero captions is an error', async (t) => {
  const karpathy = await tmpFile('k.json', { images: [{ filename: 'lonely.jpg', split: 'test', sentences: [] }] });
  t.throws(() => loadDataset({ format: 'auto', captions: karpathy }), /image lonely\.jpg has zero captions/);
  const coco = await tmpFile('c.json', { images: [{ id: 1, file_name: 'a.jpg' }, { id: 2, file_name: 'b.jpg' }], annotations: [{ image_id: 1, caption: 'x' }] });
  t.throws(() => loadDataset({ format: 'auto', captions: coco }), /image b\.jpg has zero captions/);
});

t.test('unknown format is an error', async (t) => {
  t.throws(() => loadDataset({ format: 'csv' as 'auto', captions: fx('captions_coco.json') }), /unknown dataset format 'csv'/);
});
