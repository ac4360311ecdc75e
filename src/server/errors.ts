// Every failure becomes {error, message} with the right status; only genuine bugs are 500s.
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ZodError } from 'zod';
import { serviceErrorStatus } from '../service/errors.ts';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The client went away mid-request; nothing can be delivered. */
export class ClientGoneError extends Error {
  override name = 'ClientGoneError';
}

/** Zod issues as one line naming each field, e.g. "beamSize: Too small: expected number to be >=1". */
export function describeZod(err: ZodError): string {
  return describeIssues(err.issues.map((i) => ({ path: i.path.map(String), message: i.message })));
}

function describeIssues(issues: { path: string[]; message: string }[]): string {
  return issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
}

/**
 * fastify's validation of a route's zod schemas (fastify-type-provider-zod): the same messages
 * as describeZod. A JSON upload's shape is bad_json; the query's options are invalid_option.
 */
function fromValidation(err: { validation: { instancePath: string; message?: string }[]; validationContext?: string }): HttpError {
  const issues = err.validation.map((v) => ({ path: v.instancePath.split('/').filter(Boolean), message: v.message ?? 'invalid' }));
  return new HttpError(400, err.validationContext === 'body' ? 'bad_json' : 'invalid_option', describeIssues(issues));
}

// Errors raised by fastify and @fastify/multipart, by their code.
const FRAMEWORK: Record<string, [number, string, string?]> = {
  FST_REQ_FILE_TOO_LARGE: [413, 'file_too_large'],
  FST_FILES_LIMIT: [413, 'too_many_files'],
  FST_PARTS_LIMIT: [413, 'too_many_parts'],
  FST_FIELDS_LIMIT: [413, 'too_many_fields'],
  FST_PROTO_VIOLATION: [400, 'bad_field_name'],
  FST_INVALID_JSON_FIELD_ERROR: [400, 'bad_field'],
  FST_INVALID_MULTIPART_CONTENT_TYPE: [400, 'not_multipart', 'send multipart/form-data with the image in field "image"'],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'body_too_large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported_media_type'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'bad_body'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'bad_body'],
  FST_ERR_BAD_URL: [400, 'bad_url'],
  FST_ERR_VALIDATION: [400, 'invalid_request'],
};

/** Maps anything thrown in a handler to an HttpError; unknown errors stay 500. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  const service = serviceErrorStatus(err);
  if (service) return new HttpError(service.status, service.code, service.message, service.headers);
  if (err instanceof ClientGoneError) return new HttpError(499, 'client_closed', err.message);
  if ((err as Error)?.name === 'TimeoutError') return new HttpError(503, 'timeout', 'the request took too long (waiting for or running inference); retry later', { 'retry-after': '5' });
  if (err instanceof ZodError) return new HttpError(400, 'invalid_option', describeZod(err));
  if (hasZodFastifySchemaValidationErrors(err)) return fromValidation(err);
  const e = err as { code?: string; statusCode?: number; message?: string };
  const known = e?.code ? FRAMEWORK[e.code] : undefined;
  if (known) return new HttpError(known[0], known[1], known[2] ?? String(e.message));
  // Malformed multipart bodies surface as busboy errors (plain Error, no code).
  if (/multipart|boundary|Part terminated|Unexpected end of form/i.test(String(e?.message))) return new HttpError(400, 'bad_multipart', String(e.message));
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) return new HttpError(e.statusCode, 'bad_request', String(e.message));
  return new HttpError(500, 'internal_error', 'internal server error');
}
