// OpenAPI 3.1 document built from the zod schemas (so docs and validation cannot drift),
// served statically at /openapi.json with Swagger UI at /docs.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { JobAcceptedSchema, JobCancelledSchema, JobStatusSchema } from '../jobs/schemas.ts';
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

// Only when turned on (API_KEYS, RATE_LIMIT_MAX): every /v1 route may answer these.
const edgeErrors = {
  401: err('API keys are on (API_KEYS / API_KEYS_FILE) and the request has no valid `Authorization: Bearer <key>`; see WWW-Authenticate'),
  429: err('over the rate limit (RATE_LIMIT_MAX per RATE_LIMIT_WINDOW_MS, per key or client address); see Retry-After and RateLimit-*'),
};
const jobsOff = { 501: err('batch jobs are off: the server has no REDIS_URL') };
const jobId = [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }];

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
          ...uploadErrors, ...edgeErrors,
        },
      } },
      '/v1/overlays': { post: {
        summary: 'Render attention: a per-word contact sheet, or one word over the image',
        parameters: queryParameters(OverlayRequestSchema),
        requestBody: form(OverlayRequestSchema, false),
        responses: {
          200: { description: 'PNG or JPEG; headers x-caption (URI-encoded) and x-caption-words', content: { 'image/png': { schema: { type: 'string', format: 'binary' } }, 'image/jpeg': { schema: { type: 'string', format: 'binary' } } } },
          ...uploadErrors, ...edgeErrors,
        },
      } },
      '/v1/jobs': { post: {
        summary: 'Submit a batch job: the same upload and options as /v1/captions, captioned later by a worker',
        description: 'The images are stored in Redis (JOB_TTL_S) and the job is queued for `show-attend-tell worker` processes (BullMQ). Poll GET /v1/jobs/{id}.',
        requestBody: form(CaptionRequestSchema, true),
        responses: {
          202: { description: 'queued; Location: /v1/jobs/{id}', content: { 'application/json': { schema: out(JobAcceptedSchema) } } },
          400: uploadErrors[400], 408: uploadErrors[408], 413: uploadErrors[413], ...edgeErrors, ...jobsOff,
          503: err('the job store (Redis) is unavailable; see Retry-After'),
        },
      } },
      '/v1/jobs/{id}': {
        get: {
          summary: 'A job\'s state and progress; once completed its results (as from /v1/captions), once failed the error /v1/captions would have given',
          parameters: jobId,
          responses: { 200: { description: 'status', content: { 'application/json': { schema: out(JobStatusSchema) } } }, 404: err('unknown, expired, or submitted with another API key'), ...edgeErrors, ...jobsOff, 503: err('Redis unavailable') },
        },
        delete: {
          summary: 'Cancel a job (or delete a finished one\'s results)',
          parameters: jobId,
          responses: {
            200: { description: 'cancelled before it ran, or deleted', content: { 'application/json': { schema: out(JobCancelledSchema) } } },
            202: { description: 'running: cancelling, its result will be discarded', content: { 'application/json': { schema: out(JobCancelledSchema) } } },
            404: err('unknown, expired, or submitted with another API key'), ...edgeErrors, ...jobsOff, 503: err('Redis unavailable'),
          },
        },
      },
      '/v1/models': { get: { summary: 'Encoder, decoders, backend and warnings (e.g. UNTRAINED)', responses: { 200: { description: 'models', content: { 'application/json': { schema: out(ModelsInfoSchema) } } }, 503: err('not ready'), ...edgeErrors } } },
      '/healthz': { get: { summary: 'Liveness', responses: { 200: { description: 'alive', content: { 'application/json': { schema: out(HealthSchema) } } } } } },
      '/readyz': { get: { summary: 'Readiness: model loaded, a worker up, not shutting down; per-worker stats (tf tensor counts)', responses: { 200: { description: 'ready', content: { 'application/json': { schema: out(ReadySchema) } } }, 503: err('loading, shutting down, or every inference worker restarting') } } },
      '/metrics': { get: { summary: 'Prometheus metrics', responses: { 200: { description: 'text exposition format' }, 401: err('METRICS_API_KEYS is set and the request has no valid Bearer key') } } },
    },
    components: { schemas: { Error: out(ErrorBodySchema) } },
  };
}

export async function openApiPlugin(app: FastifyInstance): Promise<void> {
  await app.register(swagger, { mode: 'static', specification: { document: openApiDocument() as never } });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
