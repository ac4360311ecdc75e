// The encoder's identity lives in models/encoder.json (one source of truth for code, docs and CI).
import { readFileSync } from 'node:fs';

export interface EncoderManifest {
  id: string;
  file: string;
  url: string;
  sha256: string;
  bytes: number;
  license: string;
}

export const MANIFEST_PATH = new URL('../../models/encoder.json', import.meta.url);

export function loadManifest(path: URL | string = MANIFEST_PATH): EncoderManifest {
  const m = JSON.parse(readFileSync(path, 'utf8')) as EncoderManifest;
  for (const key of ['id', 'file', 'url', 'sha256', 'license'] as const) {
    if (typeof m[key] !== 'string' || !m[key]) throw new Error(`encoder manifest ${path}: missing "${key}"`);
  }
  if (!/^[0-9a-f]{64}$/.test(m.sha256)) throw new Error(`encoder manifest ${path}: bad sha256`);
  if (!Number.isInteger(m.bytes) || m.bytes <= 0) throw new Error(`encoder manifest ${path}: bad bytes`);
  return m;
}

export const encoderManifest: EncoderManifest = loadManifest();
