// Detections for a whole image set in one JSON file, the layout of
// ../shared/data/flickr8k-detections/centernet-512.json (per photo [x1, y1, x2, y2, score, class],
// corners as fractions), made by the project's own detector stage. Resumable: each finished photo
// is appended to a JSON-lines file first, so a killed run picks up where it stopped; the folder
// name carries the detector's sha256 and input size, so another detector never mixes in.
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { prepareImage } from '../encoder/preprocess.ts';
import type { Detector } from './detector.ts';
import { readJsonFile } from '../util/json-file.ts';
import { COCO_CATEGORIES, type RawDetection } from './types.ts';

const Row = z.tuple([z.number(), z.number(), z.number(), z.number(), z.number().min(0).max(1), z.number().int().min(0)]);
export const DetectionsFileSchema = z.object({
  description: z.string().optional(),
  categories: z.array(z.string()),
  images: z.record(z.string(), z.array(Row)),
});
export type DetectionsFile = z.infer<typeof DetectionsFileSchema>;

type DetectorInfo = Pick<Detector, 'id' | 'sha256' | 'inputSize' | 'tensorSize' | 'minScore' | 'detect'>;

export function detectionsKey(d: Pick<Detector, 'id' | 'sha256' | 'inputSize'>): string {
  return `${d.id}-${d.sha256.slice(0, 16)}-${d.inputSize}`;
}

const round4 = (v: number) => Math.round(v * 1e4) / 1e4;
export const toRow = (d: RawDetection): z.infer<typeof Row> => [round4(d.x1), round4(d.y1), round4(d.x2), round4(d.y2), round4(d.score), d.classIndex];
export const fromRow = ([x1, y1, x2, y2, score, classIndex]: z.infer<typeof Row>): RawDetection => ({ x1, y1, x2, y2, score, classIndex });

/**
 * Detections per photo name from a detections file (training targets, evaluation, comparisons):
 * checked against the schema, and its category list must be COCO's order, which the class
 * indices refer to.
 */
export function loadDetectionsFile(path: string): Map<string, RawDetection[]> {
  const { categories, images } = readJsonFile(path, DetectionsFileSchema, 'a detections file');
  if (categories.join() !== COCO_CATEGORIES.join()) throw new Error(`${path}: categories are not the 80 COCO categories in detector order`);
  return new Map(Object.entries(images).map(([name, rows]) => [name, rows.map((row) => {
    if (row[5] >= COCO_CATEGORIES.length) throw new Error(`${path}: ${name} has class ${row[5]} (80 categories)`);
    return fromRow(row);
  })]));
}

export interface DetectionsBuild {
  imagesDir: string;
  names: string[];
  /** The file and its progress go to rootDir/<detectionsKey>/. */
  rootDir: string;
  detector: DetectorInfo;
  onProgress?: (done: number, total: number) => void;
}

/** Photos already done by an earlier run (a torn last line from a kill is ignored). */
async function readProgress(path: string): Promise<Map<string, z.infer<typeof Row>[]>> {
  const done = new Map<string, z.infer<typeof Row>[]>();
  if (!existsSync(path)) return done;
  for (const line of (await readFile(path, 'utf8')).split('\n')) {
    try {
      const [name, rows] = JSON.parse(line) as [string, z.infer<typeof Row>[]];
      done.set(name, rows);
    } catch {
      // an unfinished line
    }
  }
  return done;
}

/** Detects every photo not yet done, then writes detections.json (names in the given order); returns its path. */
export async function buildDetectionsFile(opts: DetectionsBuild): Promise<string> {
  const { detector: det } = opts;
  const dir = join(opts.rootDir, detectionsKey(det));
  await mkdir(dir, { recursive: true });
  const progressPath = join(dir, 'progress.jsonl');
  const done = await readProgress(progressPath);
  // Start on a fresh line in case the last one was torn.
  if (done.size) await appendFile(progressPath, '\n');
  for (const name of opts.names) {
    if (done.has(name)) continue;
    const img = await prepareImage(await readFile(join(opts.imagesDir, name)), det.tensorSize);
    const rows = (await det.detect([img]))[0].map(toRow);
    done.set(name, rows);
    await appendFile(progressPath, `${JSON.stringify([name, rows])}\n`);
    opts.onProgress?.(done.size, opts.names.length);
  }
  const file: DetectionsFile = {
    description:
      `${det.id} (sha256 of its weights ${det.sha256}) run by this project's detector stage (src/detector, ONNX Runtime) at ${det.inputSize}×${det.inputSize}, ` +
      `fed each photo as the service prepares it (squashed to ${det.tensorSize}×${det.tensorSize}). Per photo: detections with score >= ${det.minScore} ` +
      'as [x1, y1, x2, y2, score, class], box corners as fractions of the image width/height (0-1), class an index into categories (COCO order).',
    categories: [...COCO_CATEGORIES],
    images: Object.fromEntries(opts.names.map((n) => [n, done.get(n)!])),
  };
  const out = join(dir, 'detections.json');
  await writeFile(`${out}.tmp`, JSON.stringify(file));
  await rename(`${out}.tmp`, out);
  return out;
}
