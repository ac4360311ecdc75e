// Locates ../shared beside the checkout (override: SHARED_DIR) for tests needing the real model.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const SHARED_DIR = process.env.SHARED_DIR ?? fileURLToPath(new URL('../../../shared', import.meta.url));
export const SHARED_MODELS = `${SHARED_DIR}/models`;
export const MODEL_FILE = `${SHARED_MODELS}/mobilenetv2-12-int8.onnx`;

/** tap `skip` option: false when the model is there, else the reason shown in the report. */
export const skipWithoutModel: string | false = existsSync(MODEL_FILE)
  ? false
  : `encoder model not found at ${MODEL_FILE} (set SHARED_DIR to the folder holding models/)`;
