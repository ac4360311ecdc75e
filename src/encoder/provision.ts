// Finds (or fetches) the encoder weights and always checks their sha256 before use.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { EncoderFileError } from './errors.ts';
import { encoderManifest, type EncoderManifest } from './manifest.ts';

export interface ProvisionOptions {
  allowDownload?: boolean;
  manifest?: EncoderManifest;
  /** Injected in tests; defaults to global fetch. */
  fetchImpl?: typeof fetch;
}

/** Streaming sha256 so large files never sit in memory twice. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isFile(), () => false);
}

function howToProvide(m: EncoderManifest, target: string): string {
  return (
    `Put the file at ${target} (set MODELS_DIR to use another folder). ` +
    `Get it from ${m.url} (${m.bytes} bytes, sha256 ${m.sha256}, ${m.license}).`
  );
}

async function verify(path: string, m: EncoderManifest): Promise<void> {
  const actual = await sha256File(path);
  if (actual !== m.sha256) {
    throw new EncoderFileError(
      `Encoder file ${path} has sha256 ${actual}, expected ${m.sha256}. ` +
        `Replace it with the official file: ${m.url}`,
    );
  }
}

async function download(m: EncoderManifest, target: string, fetchImpl: typeof fetch): Promise<void> {
  // Temp file + rename: a killed download never leaves a half file under the real name.
  const tmp = `${target}.${process.pid}.download`;
  try {
    const res = await fetchImpl(m.url);
    if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
    await pipeline(Readable.fromWeb(res.body as WebReadableStream), createWriteStream(tmp));
    await verify(tmp, m);
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    if (err instanceof EncoderFileError) throw err;
    throw new EncoderFileError(
      `Could not download the encoder (${(err as Error).message}). ${howToProvide(m, target)}`,
    );
  }
}

/** Returns the absolute path of a verified encoder file in modelsDir. */
export async function ensureEncoderFile(modelsDir: string, opts: ProvisionOptions = {}): Promise<string> {
  const m = opts.manifest ?? encoderManifest;
  const target = resolve(join(modelsDir, m.file));
  if (!(await exists(target))) {
    if (!opts.allowDownload) {
      throw new EncoderFileError(`Encoder file not found at ${target}. ${howToProvide(m, target)}`);
    }
    await mkdir(resolve(modelsDir), { recursive: true });
    await download(m, target, opts.fetchImpl ?? fetch);
    return target;
  }
  await verify(target, m);
  return target;
}
