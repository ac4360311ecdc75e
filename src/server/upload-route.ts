// What the upload routes (/v1/captions, /v1/overlays, /v1/jobs) share: their fastify schema
// (options as query parameters, the JSON body, the documented multipart and raw bodies, the
// upload errors) and the hooks that run before fastify validates the request.
import type { FastifySchema, preValidationAsyncHookHandler } from 'fastify';
import type { z } from 'zod';
import { err, jsonSchema } from './openapi.ts';
import { normaliseQuery, optionsQuery } from './options.ts';
import { jsonUploadSchema } from './schemas.ts';
import { IMAGE_FIELD, jsonBodyReader, type UploadLimits } from './upload.ts';

export const uploadErrors = {
  400: err('bad options (the message names the field), conflicting options (option_conflict: e.g. temperature without sample, or query and form disagreeing), no file, wrong field name, unsupported body type, bad JSON, image URL refused or failed'),
  408: err('the upload did not arrive in time'),
  413: err('file, file count or decoded pixels over the limit (the message states the limit)'),
  415: err('not a decodable raster image (SVG is refused)'),
  504: err('an image URL took longer than IMAGE_URL_TIMEOUT_MS'),
  503: err('busy (queue full), timeout, the inference worker crashed (worker_crashed; it restarts, retry) or not ready; see Retry-After'),
};

/**
 * The bodies no zod schema can describe, as OpenAPI fragments: multipart (image file parts,
 * streamed by the handler within the upload limits, beside the options as text fields) and one
 * raw image (options in the query). The option fields are the options schema's own JSON Schema.
 */
function otherBodies(options: z.ZodObject, multiple: boolean) {
  const image = { type: 'string', format: 'binary' };
  const fields = (jsonSchema(options, 'input').properties ?? {}) as Record<string, unknown>;
  return {
    'multipart/form-data': { schema: { type: 'object', required: [IMAGE_FIELD], properties: { [IMAGE_FIELD]: multiple ? { type: 'array', items: image } : image, ...fields } } },
    'image/*': { schema: { type: 'string', format: 'binary', description: 'one raw image; options as query parameters' } },
  };
}

export interface UploadDoc {
  summary: string;
  description?: string;
  /** Several images (field `image` repeatable, `images` with more than one entry) or one. */
  multiple: boolean;
  response: FastifySchema['response'];
}

/**
 * An upload route's schema: fastify validates the query against `options` (without defaults:
 * only the names given) and a JSON body against jsonUploadSchema; the handler merges the two
 * sources of options (parseOptionsGiven). Multipart and raw bodies reach the handler unparsed
 * (fastify validates their missing body as null, hence nullable; not in the documentation).
 */
export function uploadSchema<S extends z.ZodObject>(options: S, doc: UploadDoc) {
  const { multiple, ...rest } = doc;
  return {
    ...rest,
    querystring: optionsQuery(options),
    body: jsonUploadSchema(options).nullable(),
    otherBodies: otherBodies(options, multiple),
  };
}

/**
 * Before validation: `first` (e.g. refusing work the server could not take), then a JSON body
 * read into req.body, then the query's blank and repeated names.
 */
export function uploadHooks(limits: UploadLimits, ...first: preValidationAsyncHookHandler[]): preValidationAsyncHookHandler[] {
  return [...first, jsonBodyReader(limits), normaliseQuery];
}
