// The detectors' identity lives in models/detector.json (official location, sha256, licence):
// one source of truth for the code, the docs and CI.
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const FileSpecSchema = z.object({
  file: z.string().min(1),
  url: z.string().url(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().positive(),
  license: z.string().min(1),
});

const DetectorEntrySchema = z.object({
  id: z.string().min(1),
  /** The square input size the graph was exported at (its resize constants assume it). */
  exportSize: z.number().int().positive(),
  /** [topology .json, weights .bin]. */
  files: z.tuple([FileSpecSchema, FileSpecSchema]),
});

export const DetectorManifestSchema = z.object({
  package: z.string(),
  tarball: z.string().url(),
  license: z.string(),
  default: z.string(),
  detectors: z.record(z.string(), DetectorEntrySchema),
});

export type DetectorManifest = z.infer<typeof DetectorManifestSchema>;
export type DetectorEntry = z.infer<typeof DetectorEntrySchema>;

export const DETECTOR_MANIFEST_PATH = new URL('../../models/detector.json', import.meta.url);

export function loadDetectorManifest(path: URL | string = DETECTOR_MANIFEST_PATH): DetectorManifest {
  const m = DetectorManifestSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
  if (!m.detectors[m.default]) throw new Error(`detector manifest ${path}: default "${m.default}" is not listed`);
  return m;
}

export const detectorManifest: DetectorManifest = loadDetectorManifest();
