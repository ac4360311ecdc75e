// What the grounding rules see of each evaluated photo besides its detections (read with
// src/detector/detections-file.ts): the encoder's ImageNet top-k, kept in a small JSON file
// beside the feature cache so that a second run does not encode the photos again.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Encoder } from '../../encoder/encoder.ts';
import { prepareImage } from '../../encoder/preprocess.ts';

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
