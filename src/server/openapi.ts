// OpenAPI 3.1 document built from the zod schemas (so docs and validation cannot drift),
// served statically at /openapi.json with Swagger UI at /docs.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ModelsInfoSchema } from '../service/schemas.ts';
import { CaptionRequestSchema, CaptionsResponseSchema, ErrorBodySchema, HealthSchema, OverlayRequestSchema, ReadySchema, WordEventSchema } from './schemas.ts';

const json = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
const out = (s: z.ZodType) => z.toJSONSchema(s, { io: 'output', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;

/** Form body: image file(s) plus the options as fields (the same names work as query parameters). */
function form(options: z.ZodObject, multiple: boolean) {
  const props = (json(options).properties ?? {}) as Record<string, unknown>;
  const image = { type: 'string', format: 'binary' };
  return {
    required: true,
    content: { 'multipart/form-data': { schema: { type: 'object', required: ['image'], properties: { image: multiple ? { type: 'array', items: image } : image, ...props } } } },
  };
}

const err = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
const uploadErrors = {
  400: err('bad options (the message names the field), no file, wrong field name, not multipart'),
  408: err('the upload did not arrive in time'),
  413: err('file, file count or decoded pixels over the limit'),
  415: err('not a decodable raster image (SVG is refused)'),
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
        requestBody: form(CaptionRequestSchema, true),
        responses: {
          200: { description: 'one result per image, in upload order', content: { 'application/json': { schema: out(CaptionsResponseSchema) }, 'text/event-stream': { schema: { type: 'string', description: 'word, result, done / error events; word data: ' + JSON.stringify(out(WordEventSchema)) } } } },
          ...uploadErrors,
        },
      } },
      '/v1/overlays': { post: {
        summary: 'Render attention: a per-word contact sheet, or one word over the image',
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
