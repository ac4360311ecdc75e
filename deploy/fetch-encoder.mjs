#!/usr/bin/env node
// Build-time helper (Dockerfile stage `encoder`): makes sure DIR/<manifest.file> is the official
// encoder, verified against models/encoder.json (sha256 + size). Plain Node, no dependencies.
//
//   node deploy/fetch-encoder.mjs <models-dir> [auto|context|download]
//
//   auto      (default) use the file if it is already in <models-dir> (it came with the build
//             context), otherwise download it from the manifest URL
//   context   the file must be in the build context; never touch the network
//   download  always download (ignores a file from the context)
//
// ENCODER_URL overrides the manifest URL (e.g. an internal mirror); the sha256 still comes
// from the manifest, so a mirror cannot change what is accepted.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, readFileSync } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const [dir = 'models', mode = 'auto'] = process.argv.slice(2);
if (!['auto', 'context', 'download'].includes(mode)) {
  console.error(`fetch-encoder: ENCODER_SOURCE must be auto, context or download (got "${mode}")`);
  process.exit(2);
}
const manifest = JSON.parse(readFileSync(join(dir, 'encoder.json'), 'utf8'));
const target = join(dir, manifest.file);
const url = process.env.ENCODER_URL || manifest.url;

async function sha256(path) {
  const h = createHash('sha256');
  await pipeline(createReadStream(path), h);
  return h.digest('hex');
}

async function check(path, origin) {
  const [digest, { size }] = await Promise.all([sha256(path), stat(path)]);
  if (digest !== manifest.sha256 || (manifest.bytes && size !== manifest.bytes)) {
    throw new Error(
      `${origin}: ${path} has sha256 ${digest} (${size} bytes); ` +
        `expected ${manifest.sha256} (${manifest.bytes} bytes) from models/encoder.json`,
    );
  }
  console.log(`fetch-encoder: ${manifest.file} OK (${origin}, ${size} bytes, sha256 ${digest})`);
}

async function download() {
  const tmp = `${target}.download`;
  console.log(`fetch-encoder: downloading ${url}`);
  try {
    const res = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(300_000) });
    if (!res.ok || !res.body) throw new Error(`HTTP ${res.status} ${res.statusText}`);
    await pipeline(Readable.fromWeb(res.body), createWriteStream(tmp));
    await check(tmp, 'download');
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new Error(
      `could not download the encoder from ${url}: ${err.message}. ` +
        `Offline? Put ${manifest.file} into models/ of the build context and build with ` +
        `--build-arg ENCODER_SOURCE=context.`,
    );
  }
}

try {
  const present = existsSync(target);
  if (mode === 'download' || (mode === 'auto' && !present)) {
    if (present) await rm(target);
    await download();
  } else if (!present) {
    throw new Error(
      `ENCODER_SOURCE=context but ${manifest.file} is not in models/ of the build context ` +
        `(copy it there, e.g. cp ../shared/models/${manifest.file} models/, or build with ENCODER_SOURCE=download)`,
    );
  } else {
    await check(target, 'build context');
  }
} catch (err) {
  console.error(`fetch-encoder: ERROR: ${err.message}`);
  process.exit(1);
}
