import t, { type Test } from 'tap';
import { symlink } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { commonAncestor, findImages, isImagePath, PathNotFoundError } from '../../src/cli/walk.ts';

async function tree(t: Test): Promise<string> {
  return t.testdir({
    photos: {
      'b.JPG': 'x', 'a.png': 'x', 'notes.txt': 'x', '.hidden.jpg': 'x',
      nested: { 'c.webp': 'x', deeper: { 'd.tiff': 'x' } },
      '.git': { 'e.jpg': 'x' },
    },
    other: { 'a.png': 'x' },
    'single.heic': 'x',
  });
}

t.test('isImagePath: image-like extensions, any case', async (t) => {
  for (const p of ['a.jpg', 'a.JPEG', 'x/y.png', 'a.webp', 'a.gif', 'a.tif', 'a.TIFF', 'a.avif', 'a.heic']) t.ok(isImagePath(p), p);
  for (const p of ['a.txt', 'a', 'jpg', 'a.svg', 'a.jpg.bak']) t.notOk(isImagePath(p), p);
});

t.test('folders: recursive, filtered, hidden skipped, code-point sorted', async (t) => {
  const root = await tree(t);
  const found = await findImages([join(root, 'photos')]);
  t.same(found.map((f) => f.relative), ['a.png', 'b.JPG', 'nested/c.webp', 'nested/deeper/d.tiff']);
  t.equal(found[0].path, join(root, 'photos', 'a.png'));
  t.equal(found[2].absolute, join(root, 'photos', 'nested', 'c.webp'));
  const flat = await findImages([join(root, 'photos')], { recursive: false });
  t.same(flat.map((f) => f.relative), ['a.png', 'b.JPG']);
});

t.test('several arguments: order kept, relative to the common ancestor, duplicates once', async (t) => {
  const root = await tree(t);
  const found = await findImages([join(root, 'other'), join(root, 'photos'), join(root, 'single.heic'), join(root, 'photos', 'a.png')], { recursive: false });
  t.same(found.map((f) => f.relative), ['other/a.png', 'photos/a.png', 'photos/b.JPG', 'single.heic']);
});

t.test('explicit files are taken whatever their extension; a lone file is named by its basename', async (t) => {
  const root = await tree(t);
  const found = await findImages([join(root, 'photos', 'notes.txt')]);
  t.same(found.map((f) => f.relative), ['notes.txt']);
});

t.test('symlinked folders are followed once, cycles do not loop', async (t) => {
  const root = await tree(t);
  await symlink(join(root, 'photos'), join(root, 'photos', 'nested', 'loop'));
  const found = await findImages([join(root, 'photos')]);
  t.same(found.map((f) => f.relative), ['a.png', 'b.JPG', 'nested/c.webp', 'nested/deeper/d.tiff']);
});

t.test('missing path is a PathNotFoundError', async (t) => {
  const root = await tree(t);
  await t.rejects(findImages([join(root, 'nope')]), PathNotFoundError);
  await t.rejects(findImages([join(root, 'nope')]), /path not found: .*nope/);
});

t.test('commonAncestor', async (t) => {
  t.equal(commonAncestor([`${sep}a${sep}b${sep}c`, `${sep}a${sep}b${sep}d`]), `${sep}a${sep}b`);
  t.equal(commonAncestor([`${sep}a${sep}bc`, `${sep}a${sep}b`]), `${sep}a`);
  t.equal(commonAncestor([`${sep}x`, `${sep}y`]), sep);
});


