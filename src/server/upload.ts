// Reads a multipart upload into memory within limits; the first problem wins but the body is
// read to its end (busboy discards over-limit data), so the connection stays usable.
import type { IncomingMessage } from 'node:http';
import type { Multipart } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { HttpError } from './errors.ts';
import { fetchImage } from './fetch-image.ts';
import type { JsonUpload } from './schemas.ts';

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
  /** JSON {images:[{url}]}: off unless enabled (see config ALLOW_IMAGE_URLS). */
  imageUrls?: { enabled: boolean; allowlist: string[]; timeoutMs: number; allowLoopback: boolean };
}

const mb = (bytes: number) => `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;
const limitText = (bytes: number) => `${bytes} bytes (${mb(bytes)}, MAX_FILE_BYTES)`;
const HOW = `send multipart/form-data with the image in field "${IMAGE_FIELD}", a raw image body (Content-Type: image/*), or JSON {"images":[{"base64":"..."}]}`;

const MAX_FIELD_BYTES = 1024; // option values are short

const mediaType = (req: FastifyRequest) => (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
const isJson = (type: string) => type === 'application/json' || type.endsWith('+json');

/**
 * The request's images and option fields, from multipart, a raw image body or JSON (read by
 * jsonBodyReader and validated by the route's body schema before the handler runs).
 */
export async function readUpload(req: FastifyRequest, limits: UploadLimits): Promise<Upload> {
  const type = mediaType(req);
  if (type.startsWith('image/')) return { files: [{ filename: 'body', data: await readBody(req, limits.maxFileBytes, limits.bodyTimeoutMs, (n) => `the image body is larger than ${limitText(n)}`) }], fields: {} };
  if (isJson(type)) return fromJson(req.body as JsonUpload, limits);
  if (!req.isMultipart()) throw new HttpError(400, 'not_multipart', `${HOW} (got ${req.headers['content-type'] ?? 'no content-type'})`);
  return readMultipart(req, limits);
}

async function readMultipart(req: FastifyRequest, limits: UploadLimits): Promise<Upload> {
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
    if ((err as { code?: string }).code === 'FST_FILES_LIMIT') throw new HttpError(413, 'too_many_files', `at most ${limits.maxFiles} image(s) per request (MAX_FILES)`);
    throw err; // mapped by toHttpError
  } finally {
    clearTimeout(timer);
  }
  if (problems[0]) throw problems[0];
  if (!upload.files.length) throw new HttpError(400, 'no_image', `no image uploaded: send one or more files in multipart field "${IMAGE_FIELD}"`);
  return upload;
}

/** Reads a whole non-multipart body within a byte cap and the body deadline. */
function readBody(req: FastifyRequest, maxBytes: number, timeoutMs: number, tooLarge: (max: number) => string): Promise<Buffer> {
  const raw = req.raw;
  const declared = Number(raw.headers['content-length'] ?? NaN);
  if (declared > maxBytes) return Promise.reject(new HttpError(413, 'file_too_large', tooLarge(maxBytes)));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => finish(new HttpError(408, 'request_timeout', `the upload did not arrive within ${timeoutMs} ms`, { connection: 'close' })), timeoutMs);
    const finish = (err?: Error) => {
      clearTimeout(timer);
      raw.off('data', onData).off('end', onEnd).off('error', onError);
      if (err) reject(err);
      else resolve(Buffer.concat(chunks));
    };
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) finish(new HttpError(413, 'file_too_large', tooLarge(maxBytes)));
      else chunks.push(c);
    };
    const onEnd = () => finish();
    const onError = (e: Error) => finish(e);
    raw.on('data', onData).on('end', onEnd).on('error', onError);
  });
}

/**
 * preValidation hook of the upload routes: reads a JSON body within the limits into req.body,
 * where fastify validates it with the route's body schema (jsonUploadSchema). Multipart and raw
 * image bodies are left unread for the handler (readUpload), which streams them.
 */
export function jsonBodyReader(limits: UploadLimits) {
  // base64 is 4/3 of the bytes; a little room for the options and whitespace.
  const cap = Math.ceil((limits.maxFileBytes * 4) / 3) * limits.maxFiles + 64 * 1024;
  return async (req: FastifyRequest): Promise<void> => {
    if (!isJson(mediaType(req))) return;
    const text = (await readBody(req, cap, limits.bodyTimeoutMs, (n) => `the JSON body is larger than ${n} bytes (${mb(n)}: MAX_FILES × MAX_FILE_BYTES as base64)`)).toString('utf8');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      throw new HttpError(400, 'bad_json', `the body is not valid JSON: ${(err as Error).message}`);
    }
    // The body schema takes null for "no JSON body" (that is how fastify shows it an unparsed one).
    if (body === null) throw new HttpError(400, 'bad_json', 'Invalid input: expected object, received null');
    req.body = body;
  };
}

/** A validated JSON upload's images as files (base64 decoded, URLs fetched when allowed) and its options as fields. */
async function fromJson(body: JsonUpload, limits: UploadLimits): Promise<Upload> {
  const { images, ...options } = body;
  if (images.length > limits.maxFiles) throw new HttpError(413, 'too_many_files', `at most ${limits.maxFiles} image(s) per request (MAX_FILES), got ${images.length}`);
  const files: UploadedFile[] = [];
  for (const [i, im] of images.entries()) {
    if ('base64' in im) {
      const b64 = im.base64.replace(/^data:[^,]*;base64,/, '');
      if (!/^[A-Za-z0-9+/_=\s-]*$/.test(b64)) throw new HttpError(400, 'bad_json', `images[${i}].base64 is not base64`);
      const data = Buffer.from(b64, 'base64');
      if (data.length > limits.maxFileBytes) throw new HttpError(413, 'file_too_large', `images[${i}] is larger than ${limitText(limits.maxFileBytes)}`);
      files.push({ filename: im.filename ?? `images[${i}]`, data });
    } else {
      const u = limits.imageUrls;
      if (!u?.enabled) throw new HttpError(400, 'urls_disabled', `images[${i}].url: this server does not fetch image URLs (ALLOW_IMAGE_URLS is off); send {"base64": "..."} instead`);
      try {
        files.push({ filename: im.url, data: await fetchImage(im.url, { allowlist: u.allowlist, maxBytes: limits.maxFileBytes, timeoutMs: u.timeoutMs, allowLoopback: u.allowLoopback }) });
      } catch (err) {
        if (err instanceof HttpError) throw new HttpError(err.status, err.code, `images[${i}].url: ${err.message}`, err.headers);
        throw err;
      }
    }
  }
  return { files, fields: Object.fromEntries(Object.entries(options).map(([k, v]) => [k, String(v)])) };
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
      if (part.file.truncated) fail(new HttpError(413, 'file_too_large', `"${part.filename}" is larger than ${limitText(limits.maxFileBytes)}`));
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
