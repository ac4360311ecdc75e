import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import t from 'tap';
import { ImageTooLargeError, UnsupportedImageError } from '../../src/encoder/errors.ts';
import { IMAGENET_MEAN, IMAGENET_STD, OVERLAY_MAX_SIDE, prepareImage } from '../../src/encoder/preprocess.ts';

const solid = (width: number, height: number, channels: 3 | 4, background: sharp.Color) =>
  sharp({ create: { width, height, channels, background } });
/** Expected normalised value of an 8-bit channel value. */
const norm = (v: number, c: number) => (v / 255 - IMAGENET_MEAN[c]) / IMAGENET_STD[c];
const near = (a: number, b: number, tol = 0.03) => Math.abs(a - b) <= tol;
/** Tensor value at channel c of the centre pixel. */
const centre = (x: Float32Array, size: number, c: number) => x[c * size * size + (size / 2) * size + size / 2];

t.test('JPEG, PNG and WebP give a normalised CHW tensor and original dims', async (t) => {
  const base = solid(300, 200, 3, { r: 200, g: 100, b: 50 });
  for (const [fmt, buf] of [
    ['jpeg', await base.clone().jpeg({ quality: 95 }).toBuffer()],
    ['png', await base.clone().png().toBuffer()],
    ['webp', await base.clone().webp({ lossless: true }).toBuffer()],
  ] as const) {
    const p = await prepareImage(buf, 224, { pixels: true });
    t.equal(p.format, fmt);
    t.equal(p.tensor.length, 3 * 224 * 224);
    t.same([p.width, p.height, p.pixels!.width, p.pixels!.height], [300, 200, 300, 200]);
    t.equal(p.pixels!.rgb.length, 300 * 200 * 3);
    const bare = await prepareImage(buf, 224);
    t.equal(bare.pixels, undefined, `${fmt}: no RGB copy unless asked for`);
    t.same(bare.tensor, p.tensor, `${fmt}: the same tensor either way`);
    [200, 100, 50].forEach((v, c) => t.ok(near(centre(p.tensor, 224, c), norm(v, c)), `${fmt} channel ${c}`));
  }
});

t.test('fine: the square at twice the size, only for a photo larger than the input on a side', async (t) => {
  const big = await solid(600, 300, 3, { r: 200, g: 100, b: 50 }).png().toBuffer();
  const p = await prepareImage(big, 224, { fine: true });
  t.equal(p.fine?.length, 3 * 448 * 448, '600×300 at 224: a 448 square');
  [200, 100, 50].forEach((v, c) => t.ok(near(centre(p.fine!, 448, c), norm(v, c)), `channel ${c} normalised like the tensor`));
  t.same(p.tensor, (await prepareImage(big, 224)).tensor, 'the tensor is unchanged');
  t.equal((await prepareImage(big, 224)).fine, undefined, 'not unless asked for');
  t.equal((await prepareImage(await solid(224, 150, 3, '#808080').png().toBuffer(), 224, { fine: true })).fine, undefined, '224×150 at 224: no detail to gain, none');
  t.equal((await prepareImage(await solid(225, 100, 3, '#808080').png().toBuffer(), 224, { fine: true })).fine?.length, 3 * 448 * 448, '225 px wide: one');
});

t.test('448 input size', async (t) => {
  const p = await prepareImage(await solid(50, 80, 3, '#808080').png().toBuffer(), 448);
  t.equal(p.tensor.length, 3 * 448 * 448);
});

t.test('squash, not crop: the whole width is kept', async (t) => {
  // 400x100, left quarter black, rest white. Squashed, x<56 is black; a centre crop would be all white.
  const raw = Buffer.alloc(400 * 100 * 3, 255);
  for (let y = 0; y < 100; y++) raw.fill(0, y * 400 * 3, (y * 400 + 100) * 3);
  const png = await sharp(raw, { raw: { width: 400, height: 100, channels: 3 } }).png().toBuffer();
  const p = await prepareImage(png, 224);
  const at = (x: number) => p.tensor[112 * 224 + x];
  t.ok(near(at(10), norm(0, 0)), 'x=10 black');
  t.ok(near(at(45), norm(0, 0)), 'x=45 black');
  t.ok(near(at(70), norm(255, 0)), 'x=70 white');
});

t.test('grayscale becomes 3 equal channels', async (t) => {
  const buf = await solid(64, 64, 3, '#404040').grayscale().png().toBuffer();
  const p = await prepareImage(buf, 224, { pixels: true });
  [0, 1, 2].forEach((c) => t.ok(near(centre(p.tensor, 224, c), norm(64, c)), `channel ${c}`));
  t.equal(p.pixels!.rgb.length, 64 * 64 * 3);
});

t.test('alpha is flattened onto white', async (t) => {
  const buf = await solid(64, 64, 4, { r: 0, g: 0, b: 0, alpha: 0 }).png().toBuffer();
  const p = await prepareImage(buf, 224, { pixels: true });
  [0, 1, 2].forEach((c) => t.ok(near(centre(p.tensor, 224, c), norm(255, c)), `channel ${c}`));
  t.equal(p.pixels!.rgb[0], 255);
});

t.test('16-bit PNG becomes 8-bit RGB', async (t) => {
  const buf = await solid(32, 32, 3, { r: 255, g: 0, b: 128 }).toColourspace('rgb16').png().toBuffer();
  t.equal((await sharp(buf).metadata()).depth, 'ushort', 'fixture is 16-bit');
  const p = await prepareImage(buf, 224, { pixels: true });
  t.equal(p.pixels!.rgb.length, 32 * 32 * 3);
  [255, 0, 128].forEach((v, c) => t.ok(near(centre(p.tensor, 224, c), norm(v, c)), `channel ${c}`));
});

t.test('palette PNG and first frame of an animated GIF', async (t) => {
  const pal = await solid(40, 30, 3, '#ff0000').png({ palette: true }).toBuffer();
  t.same((await prepareImage(pal, 224)).width, 40);
  const frames = Buffer.concat([Buffer.alloc(16 * 16 * 3, 0), Buffer.alloc(16 * 16 * 3, 255)]);
  const gif = await sharp(frames, { raw: { width: 16, height: 32, channels: 3, pageHeight: 16 } } as sharp.SharpOptions)
    .gif({ delay: [100, 100] }).toBuffer();
  const p = await prepareImage(gif, 224);
  t.same([p.width, p.height], [16, 16], 'one frame, not the whole strip');
  t.ok(near(centre(p.tensor, 224, 0), norm(0, 0)), 'first (black) frame');
});

t.test('EXIF orientation 6 is applied: width and height swap', async (t) => {
  const buf = await solid(120, 80, 3, '#336699').jpeg().withMetadata({ orientation: 6 }).toBuffer();
  const p = await prepareImage(buf, 224, { pixels: true });
  t.same([p.width, p.height, p.pixels!.width, p.pixels!.height], [80, 120, 80, 120]);
});

t.test('kept RGB is capped for big images', async (t) => {
  const buf = await solid(3000, 1500, 3, '#000000').jpeg().toBuffer();
  const p = await prepareImage(buf, 224, { pixels: true });
  t.same([p.width, p.height], [3000, 1500]);
  t.same([p.pixels!.width, p.pixels!.height], [OVERLAY_MAX_SIDE, OVERLAY_MAX_SIDE / 2]);
  t.equal(p.pixels!.rgb.length, p.pixels!.width * p.pixels!.height * 3);
});

t.test('non-images are UnsupportedImageError', async (t) => {
  const jpeg = await solid(256, 256, 3, '#123456').jpeg().toBuffer();
  const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>');
  for (const [what, buf] of [
    ['zero bytes', Buffer.alloc(0)],
    ['random bytes', randomBytes(4096)],
    ['text', Buffer.from('hello, world')],
    ['truncated JPEG', jpeg.subarray(0, Math.floor(jpeg.length / 2))],
    ['SVG', svg],
  ] as const) {
    await t.rejects(prepareImage(buf, 224), UnsupportedImageError, what);
  }
});

t.test('pixel bombs are ImageTooLargeError', async (t) => {
  // 9000x9000 PNG of one colour compresses to ~100 KB but is 81 MP, over the 40 MP default.
  const bomb = await sharp({ create: { width: 9000, height: 9000, channels: 3, background: '#000' }, limitInputPixels: false })
    .png({ compressionLevel: 9 }).toBuffer();
  await t.rejects(prepareImage(bomb, 224), ImageTooLargeError);
  await t.rejects(prepareImage(await solid(100, 100, 3, '#000').png().toBuffer(), 224, { maxPixels: 5000 }), ImageTooLargeError);
});
