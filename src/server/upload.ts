// Reads a multipart upload into memory within limits; the first problem wins but the body is
// read to its end (busboy discards over-limit data), so the connection stays usable.
import type { IncomingMessage } from 'node:http';
import type { Multipart } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { HttpError } from './errors.ts';

export const IMAGE_FIELD = 'image';

export interface UploadedFile {
  filename: string;
  data: Buffer;
}

export interface Upload {
  files: UploadedFile[];
  fields: Record<string, string>;
}

export interface UploadLimits {
  maxFiles: number;
  maxFileBytes: number;
  /** The whole upload must arrive within this (slow-upload guard) → 408 and the connection closed. */
  bodyTimeoutMs: number;
}

const MAX_FIELD_BYTES = 1024; // option values are short

export async function readUpload(req: FastifyRequest, limits: UploadLimits): Promise<Upload> {
  if (!req.isMultipart()) throw new HttpError(400, 'not_multipart', `send multipart/form-data with the image in field "${IMAGE_FIELD}" (got ${req.headers['content-type'] ?? 'no content-type'})`);
  const upload: Upload = { files: [], fields: {} };
  const problems: HttpError[] = [];
  let timer: NodeJS.Timeout | undefined;
  try {
    const parts = req.parts({
      limits: { fileSize: limits.maxFileBytes, files: limits.maxFiles, fields: 64, fieldSize: MAX_FIELD_BYTES, parts: limits.maxFiles + 64, headerPairs: 64 },
    });
    const loop = collect(parts, limits, upload, problems);
    loop.catch(() => {}); // when the deadline wins, the abandoned loop's failure is expected
    // Node's requestTimeout does not fire for a body stalled after the headers, hence this.
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new HttpError(408, 'request_timeout', `the upload did not arrive within ${limits.bodyTimeoutMs} ms`, { connection: 'close' })), limits.bodyTimeoutMs);
    });
    await Promise.race([loop, deadline]);
  } catch (err) {
    if (err instanceof HttpError && err.status === 408) throw err;
    // Limits and malformed bodies end the iteration; a problem seen first is the better report.
    if (problems[0]) throw problems[0];
    if ((err as { code?: string }).code === 'FST_FILES_LIMIT') throw new HttpError(413, 'too_many_files', `at most ${limits.maxFiles} image(s) per request`);
    throw err; // mapped by toHttpError
  } finally {
    clearTimeout(timer);
  }
  if (problems[0]) throw problems[0];
  if (!upload.files.length) throw new HttpError(400, 'no_image', `no image uploaded: send one or more files in multipart field "${IMAGE_FIELD}"`);
  return upload;
}

/** Reads every part; after the first problem, files are discarded but the body still read. */
async function collect(parts: AsyncIterable<Multipart>, limits: UploadLimits, upload: Upload, problems: HttpError[]): Promise<void> {
  const fail = (e: HttpError) => problems.push(e);
  for await (const part of parts) {
    if (part.type === 'file') {
      if (part.fieldname !== IMAGE_FIELD) {
        part.file.resume();
        fail(new HttpError(400, 'unexpected_field', `file field "${part.fieldname}" is not accepted: send images in field "${IMAGE_FIELD}"`));
        continue;
      }
      if (problems.length) { part.file.resume(); continue; }
      // The plugin is registered with throwFileSizeLimit: false, so an over-limit file is
      // truncated (busboy discards the rest and keeps parsing) rather than thrown mid-body.
      const data = await part.toBuffer();
      if (part.file.truncated) fail(new HttpError(413, 'file_too_large', `"${part.filename}" is larger than ${limits.maxFileBytes} bytes`));
      else upload.files.push({ filename: part.filename, data });
    } else {
      const { fields } = upload;
      if (part.fieldname === IMAGE_FIELD) fail(new HttpError(400, 'image_not_a_file', `field "${IMAGE_FIELD}" must be a file upload (a part with a filename), not a text field`));
      else if (part.valueTruncated) fail(new HttpError(400, 'field_too_long', `field "${part.fieldname}" is longer than ${MAX_FIELD_BYTES} bytes`));
      else if (Object.hasOwn(fields, part.fieldname)) fail(new HttpError(400, 'duplicate_field', `field "${part.fieldname}" is given more than once`));
      else fields[part.fieldname] = String(part.value);
    }
  }
}

/**
 * After an early reply, reads and discards what is left of the body so a keep-alive
 * connection can carry the next request; past `maxBytes` the socket is closed instead.
 */
export function drainBody(raw: IncomingMessage, maxBytes: number, closing = false): void {
  if (raw.readableEnded || raw.destroyed) return;
  if (closing) { raw.socket?.destroy(); return; } // the reply said Connection: close
  let seen = 0;
  raw.unpipe();
  raw.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > maxBytes) raw.socket?.destroy();
  });
  raw.on('error', () => {}); // a reset while draining is not our problem any more
  raw.resume();
}
