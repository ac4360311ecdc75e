// Turns untrusted upload bytes into the encoder's input tensor plus an overlay-sized RGB copy.
import sharp from 'sharp';
import { ImageTooLargeError, UnsupportedImageError } from './errors.ts';

export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;
export const DEFAULT_MAX_PIXELS = 40_000_000;
/** Longest side of the kept RGB copy: enough for overlays, bounded memory. */
export const OVERLAY_MAX_SIDE = 1024;
// Raster formats only: SVG/PDF would mean rasterising attacker-controlled vector content.
const RASTER_FORMATS = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif', 'heif']);

export interface PreparedImage {
  /** [3, size, size] CHW, ImageNet-normalised. */
  tensor: Float32Array;
  /** Original dimensions after EXIF orientation. */
  width: number;
  height: number;
  format: string;
  /** Oriented 8-bit RGB, longest side capped at OVERLAY_MAX_SIDE: only when asked for (overlays). */
  pixels?: { rgb: Buffer; width: number; height: number };
  /** [3, 2·size, 2·size] like `tensor`, for fine focus maps: only when asked for and the photo has more pixels than `size` on a side. */
  fine?: Float32Array;
}

export interface PrepareOptions {
  maxPixels?: number;
  /** Keep the oriented RGB copy (PreparedImage.pixels): overlays draw on it, captions do not need it. */
  pixels?: boolean;
  /**
   * Also the square at twice the size (PreparedImage.fine) for fine focus maps
   * (src/decoding/focus.ts), when the photo is larger than `size` on a side: a smaller one has no
   * detail the first square lacks.
   */
  fine?: boolean;
}

/** Whether a photo gains from the fine square: more pixels than the input on a side (a smaller one has no detail the first square lacks). */
export function hasFineDetail(width: number, height: number, size: number): boolean {
  return Math.max(width, height) > size;
}

function isPixelLimit(err: unknown): boolean {
  return /pixel limit/i.test(String((err as Error)?.message));
}

function wrap(err: unknown): Error {
  if (err instanceof UnsupportedImageError || err instanceof ImageTooLargeError) return err;
  if (isPixelLimit(err)) return new ImageTooLargeError('image exceeds the pixel limit');
  return new UnsupportedImageError(`cannot decode image: ${(err as Error)?.message ?? err}`);
}

/**
 * One decode of the upload: sharp reads the header (format, size, orientation) and then decodes
 * the pixels once, oriented and capped at OVERLAY_MAX_SIDE; the encoder's square is resized from
 * those pixels (the two steps define the model's input: features were extracted this way).
 */
export async function prepareImage(buf: Buffer, size: number, opts: PrepareOptions = {}): Promise<PreparedImage> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (buf.length === 0) throw new UnsupportedImageError('empty body: not an image');
  // failOn 'error' also rejects truncated data, but tolerates harmless warnings (odd EXIF etc.).
  // pages: 1 takes the first frame of animated GIF/WebP.
  const input = { failOn: 'error', limitInputPixels: maxPixels, pages: 1 } as const;
  try {
    const image = sharp(buf, input);
    const meta = await image.metadata();
    if (!meta.format || !RASTER_FORMATS.has(meta.format)) throw new UnsupportedImageError(`unsupported format: ${meta.format ?? 'unknown'}`);
    if (!meta.width || !meta.height) throw new UnsupportedImageError('image has no dimensions');
    const frameHeight = meta.pageHeight ?? meta.height;
    if (meta.width * frameHeight > maxPixels) throw new ImageTooLargeError(`image has ${meta.width}×${frameHeight} pixels, limit is ${maxPixels}`);
    const swap = (meta.orientation ?? 1) >= 5;
    const width = swap ? frameHeight : meta.width;
    const height = swap ? meta.width : frameHeight;

    // The decode: orient, flatten alpha onto white (transparent logos read as on-page), force
    // 8-bit sRGB (covers grey, palette, CMYK, 16-bit), and cap the size.
    const { data: rgb, info } = await image
      .rotate()
      .resize(OVERLAY_MAX_SIDE, OVERLAY_MAX_SIDE, { fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new UnsupportedImageError(`unexpected channel count ${info.channels}`);

    // Squash (fill), not crop: the training images were squashed to a square.
    const squash = async (side: number) => normalise(await sharp(rgb, { raw: { width: info.width, height: info.height, channels: 3 } }).resize(side, side, { fit: 'fill' }).raw().toBuffer(), side);
    // The two squares resize side by side (sharp works off the main thread).
    const [tensor, fine] = await Promise.all([squash(size), opts.fine && hasFineDetail(info.width, info.height, size) ? squash(2 * size) : undefined]);
    const prepared: PreparedImage = { tensor, width, height, format: meta.format };
    if (opts.pixels) prepared.pixels = { rgb, width: info.width, height: info.height };
    if (fine) prepared.fine = fine;
    return prepared;
  } catch (err) {
    throw wrap(err);
  }
}

/** HWC uint8 RGB -> CHW float, (x/255 - mean) / std. */
export function normalise(hwc: Uint8Array, size: number): Float32Array {
  const plane = size * size;
  const out = new Float32Array(3 * plane);
  const [s0, s1, s2] = IMAGENET_STD.map((sd) => 1 / (255 * sd));
  const [m0, m1, m2] = IMAGENET_MEAN.map((m, c) => m / IMAGENET_STD[c]);
  // One pass over the pixels, reading them in order.
  for (let i = 0, j = 0; i < plane; i++, j += 3) {
    out[i] = hwc[j] * s0 - m0;
    out[plane + i] = hwc[j + 1] * s1 - m1;
    out[2 * plane + i] = hwc[j + 2] * s2 - m2;
  }
  return out;
}
