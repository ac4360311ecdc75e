// Finds (or, when allowed, downloads) a detector's two files and checks their sha256 every time.
import { ensureFile, type ProvisionOptions } from '../encoder/provision.ts';
import { detectorManifest, type DetectorEntry, type DetectorManifest } from './manifest.ts';

/** A detector file is missing, undownloadable or fails its checksum. */
export class DetectorFileError extends Error {
  override name = 'DetectorFileError';
}

const DETECTOR = { label: 'Detector', Err: DetectorFileError };

export interface DetectorFiles {
  entry: DetectorEntry;
  /** Absolute paths of the verified topology JSON and weights. */
  json: string;
  bin: string;
}

export async function ensureDetectorFiles(
  modelsDir: string,
  name: string,
  opts: Omit<ProvisionOptions, 'manifest'> & { manifest?: DetectorManifest } = {},
): Promise<DetectorFiles> {
  const m = opts.manifest ?? detectorManifest;
  const entry = m.detectors[name];
  if (!entry) throw new DetectorFileError(`unknown detector "${name}": the manifest lists ${Object.keys(m.detectors).join(', ')}`);
  // One after the other: a missing graph file is reported first, whatever the disk's timing
  // (in parallel, whichever check failed first won).
  const [json, bin] = [await ensureFile(modelsDir, entry.files[0], DETECTOR, opts), await ensureFile(modelsDir, entry.files[1], DETECTOR, opts)];
  return { entry, json, bin };
}
