// Reads a multipart upload into memory within limits; the first problem wins but the body is
// read to its end (busboy discards over-limit data), so the connection stays usable.
import type { IncomingMessage } from 'node:http';
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
}

const MAX_FIELD_BYTES = 1024; // option values are short

export async function readUpload(req: FastifyRequest, limits: UploadLimits): Promise<Upload> {
  if (!req.isMultipart()) throw new HttpError(400, 'not_multipart', `send multipart/form-data with the image in field "${IMAGE_FIELD}" (got ${req.headers['content-type'] ?? 'no content-type'})`);
  const files: UploadedFile[] = [];
  const fields: Record<string, string> = {};
  let first: HttpError | undefined;
  const fail = (e: HttpError) => { first ??= e; };
  try {
    const parts = req.parts({
      limits: { fileSize: limits.maxFileBytes, files: limits.maxFiles, fields: 64, fieldSize: MAX_FIELD_BYTES, parts: limits.maxFiles + 64, headerPairs: 64 },
    });
    for await (const part of parts) {
      if (part.type === 'file') {
        if (part.fieldname !== IMAGE_FIELD) {
          part.file.resume();
          fail(new HttpError(400, 'unexpected_field', `file field "${part.fieldname}" is not accepted: send images in field "${IMAGE_FIELD}"`));
          continue;
        }
        if (first) { part.file.resume(); continue; }
        // The plugin is registered with throwFileSizeLimit: false, so an over-limit file is
        // truncated (busboy discards the rest and keeps parsing) rather than thrown mid-body.
        const data = await part.toBuffer();
        if (part.file.truncated) fail(new HttpError(413, 'file_too_large', `"${part.filename}" is larger than ${limits.maxFileBytes} bytes`));
        else files.push({ filename: part.filename, data });
      } else {
        const value = String(part.value);
        if (part.fieldname === IMAGE_FIELD) fail(new HttpError(400, 'image_not_a_file', `field "${IMAGE_FIELD}" must be a file upload (a part with a filename), not a text field`));
        else if (part.valueTruncated) fail(new HttpError(400, 'field_too_long', `field "${part.fieldname}" is longer than ${MAX_FIELD_BYTES} bytes`));
        else if (part.fieldname in fields) fail(new HttpError(400, 'duplicate_field', `field "${part.fieldname}" is given more than once`));
        else fields[part.fieldname] = value;
      }
    }
  } catch (err) {
    // Limits and malformed bodies end the iteration; a problem seen first is the better report.
    if (first) throw first;
    const code = (err as { code?: string }).code;
    if (code === 'FST_FILES_LIMIT') throw new HttpError(413, 'too_many_files', `at most ${limits.maxFiles} image(s) per request`);
    throw err; // mapped by toHttpError
  }
  if (first) throw first;
  if (!files.length) throw new HttpError(400, 'no_image', `no image uploaded: send one or more files in multipart field "${IMAGE_FIELD}"`);
  return { files, fields };
}

/**
 * After an early reply, reads and discards what is left of the body so a keep-alive
 * connection can carry the next request; past `maxBytes` the socket is closed instead.
 */
export function drainBody(raw: IncomingMessage, maxBytes: number): void {
  if (raw.readableEnded || raw.destroyed) return;
  let seen = 0;
  raw.unpipe();
  raw.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > maxBytes) raw.socket?.destroy();
  });
  raw.on('error', () => {}); // a reset while draining is not our problem any more
  raw.resume();
}
