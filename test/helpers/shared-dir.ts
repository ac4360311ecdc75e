// Where ../shared is (the encoder, Flickr8k, COCO photos: never in git). The one place tests look:
// SHARED_DIR when set (relative paths from the repo root), else ../shared beside the checkout.
// Tests that need a file from it skip with the reason below when it is absent, so `npm test` on a
// checkout without ../shared still runs and says what it skipped and why.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const SHARED_DIR = resolve(REPO, process.env.SHARED_DIR || '../shared');
export const SHARED_MODELS = join(SHARED_DIR, 'models');
export const MODEL_FILE = join(SHARED_MODELS, 'mobilenetv2-12-int8.onnx');

/** tap `skip` value for a test needing these files from ../shared: false when all exist, else why not. */
export function skipWithoutShared(what: string, ...paths: string[]): string | false {
  const missing = paths.filter((p) => !existsSync(p));
  return missing.length ? `${what} not found at ${missing.join(', ')} (no ../shared here: set SHARED_DIR to the folder holding models/ and data/)` : false;
}

/** tap `skip` option: false when the encoder is there, else the reason shown in the report. */
export const skipWithoutModel: string | false = skipWithoutShared('encoder model', MODEL_FILE);

/**
 * The COCO object detector's folder (centernet.json + .bin): the repo's models/detector when
 * provisioned, else ../shared's; undefined when neither has it.
 */
export const DETECTOR_DIR = [join(REPO, 'models', 'detector'), join(SHARED_MODELS, 'detector')].find((d) => existsSync(join(d, 'centernet.json')) && existsSync(join(d, 'centernet.bin')));

/** tap `skip` option for tests needing the encoder and the detector. */
export const skipWithoutDetector: string | false = skipWithoutModel || (DETECTOR_DIR ? false : skipWithoutShared('object detector', join(SHARED_MODELS, 'detector', 'centernet.json')));
