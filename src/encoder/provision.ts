// Finds (or fetches) model files (the encoder's, the detector's) and always checks their sha256
// before use.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
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

/** One file to provision: where it comes from and what it must hash to. */
export type FileSpec = Pick<EncoderManifest, 'file' | 'url' | 'sha256' | 'bytes' | 'license'>;

/** Who is asking, for the messages ('Encoder', 'Detector') and the error type thrown. */
export interface FileKind {
  label: string;
  Err: new (message: string) => Error;
}

const ENCODER: FileKind = { label: 'Encoder', Err: EncoderFileError };

/** Streaming sha256 so large files never sit in memory twice. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isFile(), () => false);
}

function howToProvide(m: FileSpec, target: string): string {
  return (
    `Put the file at ${target} (set MODELS_DIR to use another folder). ` +
    `Get it from ${m.url} (${m.bytes} bytes, sha256 ${m.sha256}, ${m.license}).`
  );
}

async function verify(path: string, m: FileSpec, kind: FileKind): Promise<void> {
  const actual = await sha256File(path);
  if (actual !== m.sha256) {
    throw new kind.Err(
      `${kind.label} file ${path} has sha256 ${actual}, expected ${m.sha256}. ` +
        `Replace it with the official file: ${m.url}`,
    );
  }
}

async function download(m: FileSpec, target: string, fetchImpl: typeof fetch, kind: FileKind): Promise<void> {
  // Temp file + rename: a killed download never leaves a half file under the real name.
  const tmp = `${target}.${process.pid}.download`;
  try {
    const res = await fetchImpl(m.url);
    if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
    await pipeline(Readable.fromWeb(res.body as WebReadableStream), createWriteStream(tmp));
    await verify(tmp, m, kind);
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    if (err instanceof kind.Err) throw err;
    throw new kind.Err(
      `Could not download the ${kind.label.toLowerCase()} file ${m.file} (${(err as Error).message}). ${howToProvide(m, target)}`,
    );
  }
}

/** Returns the absolute path of modelsDir/spec.file once its sha256 checks (downloaded first if allowed). */
export async function ensureFile(modelsDir: string, spec: FileSpec, kind: FileKind, opts: Omit<ProvisionOptions, 'manifest'> = {}): Promise<string> {
  const target = resolve(join(modelsDir, spec.file));
  if (!(await exists(target))) {
    if (!opts.allowDownload) {
      throw new kind.Err(`${kind.label} file not found at ${target}. ${howToProvide(spec, target)}`);
    }
    await mkdir(dirname(target), { recursive: true });
    await download(spec, target, opts.fetchImpl ?? fetch, kind);
    return target;
  }
  await verify(target, spec, kind);
  return target;
}

/** Returns the absolute path of a verified encoder file in modelsDir. */
export async function ensureEncoderFile(modelsDir: string, opts: ProvisionOptions = {}): Promise<string> {
  return ensureFile(modelsDir, opts.manifest ?? encoderManifest, ENCODER, opts);
}
