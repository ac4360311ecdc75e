import sharp from 'sharp';
import { mulberry32 } from '../../src/util/rng.ts';

/**
 * A generated photo-like image, different per seed: a sky/ground gradient with a few coloured
 * discs and bars, so the encoder sees varied content and captions differ between images.
 */
export async function sceneImage(seed: number, w = 320, h = 240): Promise<Buffer> {
  const rng = mulberry32(seed);
  const top = [rng() * 255, rng() * 255, rng() * 255];
  const bottom = [rng() * 255, rng() * 255, rng() * 255];
  const horizon = 0.3 + rng() * 0.4;
  const shapes = Array.from({ length: 2 + Math.floor(rng() * 4) }, () => ({
    disc: rng() < 0.5, x: rng() * w, y: rng() * h, r: 10 + rng() * 60, c: [rng() * 255, rng() * 255, rng() * 255],
  }));
  const raw = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let c = y < horizon * h ? top.map((v, i) => v * (1 - y / h) + bottom[i] * (y / h) * 0.3) : bottom.map((v) => v * (0.7 + 0.3 * Math.sin(x / 7 + y / 11)));
      for (const s of shapes) {
        const inside = s.disc ? (x - s.x) ** 2 + (y - s.y) ** 2 < s.r ** 2 : Math.abs(x - s.x) < s.r && Math.abs(y - s.y) < s.r / 3;
        if (inside) c = s.c;
      }
      raw.set(c.map((v) => Math.max(0, Math.min(255, Math.round(v)))), (y * w + x) * 3);
    }
  }
  return sharp(raw, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
}
