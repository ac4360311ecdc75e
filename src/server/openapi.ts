// OpenAPI 3.1 document built from the zod schemas (so docs and validation cannot drift),
// served statically at /openapi.json with Swagger UI at /docs.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ModelsInfoSchema } from '../service/schemas.ts';
import { CaptionRequestSchema, CaptionsResponseSchema, ErrorBodySchema, HealthSchema, OverlayRequestSchema, ReadySchema, ResultEventSchema, WordEventSchema } from './schemas.ts';

const json = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
const out = (s: z.ZodType) => z.toJSONSchema(s, { io: 'output', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;

/**
 * Body: multipart image file(s) plus the options as fields, a raw image (options in the query),
 * or JSON {images:[{base64}|{url}], ...options}.
 */
function form(options: z.ZodObject, multiple: boolean) {
  const props = (json(options).properties ?? {}) as Record<string, unknown>;
  const image = { type: 'string', format: 'binary' };
  const entry = { oneOf: [
    { type: 'object', required: ['base64'], properties: { base64: { type: 'string', description: 'the image file, base64 (a data: URL prefix is accepted)' }, filename: { type: 'string' } }, additionalProperties: false },
    { type: 'object', required: ['url'], properties: { url: { type: 'string', description: 'fetched by the server only when ALLOW_IMAGE_URLS is on and the host is allow-listed' } }, additionalProperties: false },
  ] };
  return {
    required: true,
    content: {
      'multipart/form-data': { schema: { type: 'object', required: ['image'], properties: { image: multiple ? { type: 'array', items: image } : image, ...props } } },
      'image/*': { schema: { type: 'string', format: 'binary', description: 'one raw image; options as query parameters' } },
      'application/json': { schema: { type: 'object', required: ['images'], properties: { images: { type: 'array', minItems: 1, ...(multiple ? {} : { maxItems: 1 }), items: entry }, ...props } } },
    },
  };
}

/** The same options as query parameters (a value given both ways must agree, else 400). */
function queryParameters(options: z.ZodObject) {
  const props = (json(options).properties ?? {}) as Record<string, Record<string, unknown>>;
  return Object.entries(props).map(([name, schema]) => ({ name, in: 'query', required: false, description: schema.description, schema }));
}

const err = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
const uploadErrors = {
  400: err('bad options (the message names the field), conflicting options (option_conflict: e.g. temperature without sample, or query and form disagreeing), no file, wrong field name, unsupported body type, bad JSON, image URL refused or failed'),
  408: err('the upload did not arrive in time'),
  413: err('file, file count or decoded pixels over the limit (the message states the limit)'),
  415: err('not a decodable raster image (SVG is refused)'),
  504: err('an image URL took longer than IMAGE_URL_TIMEOUT_MS'),
  503: err('busy (queue full), timeout, the inference worker crashed (worker_crashed; it restarts, retry) or not ready; see Retry-After'),
};

export function openApiDocument() {
  return {
    openapi: '3.1.0',
    info: { title: 'Show, Attend and Tell captioning API', version: '1', description: 'Image captions with per-word visual attention (soft or hard), as JSON, Server-Sent Events, or rendered overlays.' },
    paths: {
      '/v1/captions': { post: {
        summary: 'Caption one or more images',
        description: 'Upload files in field `image` (repeatable). Options as fields or query parameters. With `Accept: text/event-stream` the answer is SSE: `word` events (WordEvent) as the decoder emits them (greedy and sampling: word by word while decoding runs, images interleaved; beam search: the best beam\'s words when each image\'s search ends), a `result` event per image (CaptionResult), then `done`; a failure after the stream opened is an `error` event.',
        parameters: queryParameters(CaptionRequestSchema),
        requestBody: form(CaptionRequestSchema, true),
        responses: {
          200: { description: 'one result per image, in upload order', content: { 'application/json': { schema: out(CaptionsResponseSchema) }, 'text/event-stream': { schema: { type: 'string', description: 'word, result, done / error events; word data: ' + JSON.stringify(out(WordEventSchema)) + '; result data: ' + JSON.stringify(out(ResultEventSchema)) } } } },
          ...uploadErrors,
        },
      } },
      '/v1/overlays': { post: {
        summary: 'Render attention: a per-word contact sheet, or one word over the image',
        parameters: queryParameters(OverlayRequestSchema),
        requestBody: form(OverlayRequestSchema, false),
        responses: {
          200: { description: 'PNG or JPEG; headers x-caption (URI-encoded) and x-caption-words', content: { 'image/png': { schema: { type: 'string', format: 'binary' } }, 'image/jpeg': { schema: { type: 'string', format: 'binary' } } } },
          ...uploadErrors,
        },
      } },
      '/v1/models': { get: { summary: 'Encoder, decoders, backend and warnings (e.g. UNTRAINED)', responses: { 200: { description: 'models', content: { 'application/json': { schema: out(ModelsInfoSchema) } } }, 503: err('not ready') } } },
      '/healthz': { get: { summary: 'Liveness', responses: { 200: { description: 'alive', content: { 'application/json': { schema: out(HealthSchema) } } } } } },
      '/readyz': { get: { summary: 'Readiness: model loaded, a worker up, not shutting down; per-worker stats (tf tensor counts)', responses: { 200: { description: 'ready', content: { 'application/json': { schema: out(ReadySchema) } } }, 503: err('loading, shutting down, or every inference worker restarting') } } },
      '/metrics': { get: { summary: 'Prometheus metrics', responses: { 200: { description: 'text exposition format' } } } },
    },
    components: { schemas: { Error: out(ErrorBodySchema) } },
  };
}

export async function openApiPlugin(app: FastifyInstance): Promise<void> {
  await app.register(swagger, { mode: 'static', specification: { document: openApiDocument() as never } });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
