// sharp helpers for raw RGB images: validation, resizing and encoding.
import sharp from 'sharp';
import type { OutputFormat, RgbImage } from './types.ts';

/** Throws a TypeError unless `image` is a well-formed RGB buffer. */
export function assertRgbImage(image: RgbImage): void {
  const { width, height, rgb } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new TypeError(`image size must be positive integers, got ${width}×${height}`);
  }
  if (!rgb || rgb.length < width * height * 3) {
    throw new TypeError(`image buffer too small for ${width}×${height} RGB`);
  }
}

function rawInput(image: RgbImage) {
  return sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: 3 } });
}

/** Resize to exactly width×height (aspect not preserved; callers choose the size). */
export async function resizeRgb(image: RgbImage, width: number, height: number): Promise<RgbImage> {
  if (image.width === width && image.height === height) return image;
  const rgb = await rawInput(image).resize(width, height, { fit: 'fill' }).raw().toBuffer();
  return { rgb, width, height };
}

/** Encode raw RGB as PNG or JPEG. */
export async function encodeRgb(image: RgbImage, format: OutputFormat, quality = 90): Promise<Buffer> {
  const pipeline = rawInput(image);
  return format === 'jpeg' ? pipeline.jpeg({ quality }).toBuffer() : pipeline.png().toBuffer();
}

/** Largest size with the image's aspect ratio that fits in box (each side at least 1 px). */
export function fitInside(width: number, height: number, boxW: number, boxH: number) {
  const scale = Math.min(boxW / width, boxH / height);
  return {
    width: Math.max(1, Math.min(boxW, Math.round(width * scale))),
    height: Math.max(1, Math.min(boxH, Math.round(height * scale))),
  };
}

/**
 * Output size from optional width/height: both → exactly that; one → the other follows
 * the aspect ratio; neither → the original size.
 */
export function resolveSize(image: RgbImage, width?: number, height?: number) {
  const ok = (v?: number): v is number => v !== undefined && Number.isFinite(v) && v >= 1;
  if (ok(width) && ok(height)) return { width: Math.round(width), height: Math.round(height) };
  if (ok(width)) return { width: Math.round(width), height: Math.max(1, Math.round((width * image.height) / image.width)) };
  if (ok(height)) return { width: Math.max(1, Math.round((height * image.width) / image.height)), height: Math.round(height) };
  return { width: image.width, height: image.height };
}
