// What the grounding rules see of each evaluated photo, read or computed before decoding:
// detections from a precomputed file (the layout of ../shared/data/flickr8k-detections, written
// by scripts/detect-centernet.ts) and the encoder's ImageNet top-k, kept in a small JSON file
// beside the feature cache so that a second run does not encode the photos again.
import { existsSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Encoder } from '../../encoder/encoder.ts';
import { prepareImage } from '../../encoder/preprocess.ts';
import { COCO_CATEGORIES, type RawDetection } from '../../detector/types.ts';

const DetectionsFileSchema = z.object({
  categories: z.array(z.string()),
  images: z.record(z.string(), z.array(z.tuple([z.number(), z.number(), z.number(), z.number(), z.number().min(0).max(1), z.number().int().min(0)]))),
});

/** Detections per image file name from a detections file ([x1, y1, x2, y2, score, class] rows). */
export function loadDetectionsFile(path: string): Map<string, RawDetection[]> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: not a readable JSON file (${err instanceof Error ? err.message : err})`);
  }
  const parsed = DetectionsFileSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${path}: not a detections file: ${z.prettifyError(parsed.error)}`);
  const { categories, images } = parsed.data;
  if (categories.join() !== COCO_CATEGORIES.join()) throw new Error(`${path}: categories are not the 80 COCO categories in detector order`);
  return new Map(Object.entries(images).map(([name, rows]) => [name, rows.map(([x1, y1, x2, y2, score, classIndex]) => ({ classIndex, score, x1, y1, x2, y2 }))]));
}

export type TopClasses = { index: number; score: number }[];

/**
 * The encoder's top-k ImageNet classes (softmax probabilities) per image, from `file` when it
 * has them all, else computed (one image per run) and written there.
 */
export async function imagenetTop(encoder: Encoder, imagesDir: string, names: readonly string[], file: string, k = 10): Promise<Map<string, TopClasses>> {
  const known: Record<string, TopClasses> = existsSync(file) ? JSON.parse(await readFile(file, 'utf8')) : {};
  const missing = [...new Set(names)].filter((n) => !known[n] || known[n].length < k);
  for (const name of missing) {
    const prepared = await prepareImage(await readFile(join(imagesDir, name)), encoder.inputSize);
    const { logits } = await encoder.encode([prepared.tensor]);
    known[name] = encoder.topClasses(logits, k).map(({ index, score }) => ({ index, score: Math.round(score * 1e5) / 1e5 }));
  }
  if (missing.length) await writeFile(file, JSON.stringify(known));
  return new Map(names.map((n) => [n, known[n].slice(0, k)]));
}
