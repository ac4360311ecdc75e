// OpenAPI 3.1 document assembled from the registered routes: each route carries its operation
// (schema.openapi, built from the zod schemas, so docs and validation cannot drift) and an
// onRoute hook collects them. Served at /openapi.json with Swagger UI at /docs.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { z } from 'zod';
import { ErrorBodySchema } from './schemas.ts';

declare module 'fastify' {
  interface FastifySchema {
    /**
     * The route's OpenAPI operation. Documentation only: fastify neither validates nor
     * serializes with it (the handlers validate with zod and give their own 400 messages).
     */
    openapi?: Record<string, unknown>;
  }
}

const json = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
/** A response body's JSON schema. */
export const out = (s: z.ZodType) => z.toJSONSchema(s, { io: 'output', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;

/**
 * Body: multipart image file(s) plus the options as fields, a raw image (options in the query),
 * or JSON {images:[{base64}|{url}], ...options}.
 */
export function uploadBody(options: z.ZodObject, multiple: boolean) {
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

/** An error response: always the shared Error body. */
export const err = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });

export const uploadErrors = {
  400: err('bad options (the message names the field), conflicting options (option_conflict: e.g. temperature without sample, or query and form disagreeing), no file, wrong field name, unsupported body type, bad JSON, image URL refused or failed'),
  408: err('the upload did not arrive in time'),
  413: err('file, file count or decoded pixels over the limit (the message states the limit)'),
  415: err('not a decodable raster image (SVG is refused)'),
  504: err('an image URL took longer than IMAGE_URL_TIMEOUT_MS'),
  503: err('busy (queue full), timeout, the inference worker crashed (worker_crashed; it restarts, retry) or not ready; see Retry-After'),
};

/** Only when turned on (API_KEYS, RATE_LIMIT_MAX): every /v1 route may answer these. */
export const edgeErrors = {
  401: err('API keys are on (API_KEYS / API_KEYS_FILE) and the request has no valid `Authorization: Bearer <key>`; see WWW-Authenticate'),
  429: err('over the rate limit (RATE_LIMIT_MAX per RATE_LIMIT_WINDOW_MS, per key or client address); see Retry-After and RateLimit-*'),
};

/** An upload route's operation: options as query parameters or body fields, the upload errors. */
export function uploadOperation(summary: string, options: z.ZodObject, multiple: boolean, ok: Record<string, unknown>, description?: string) {
  return {
    summary, ...(description ? { description } : {}),
    parameters: queryParameters(options),
    requestBody: uploadBody(options, multiple),
    responses: { 200: ok, ...uploadErrors, ...edgeErrors },
  };
}

/** fastify's /v1/jobs/:id is OpenAPI's /v1/jobs/{id}. */
const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');

/**
 * Collects the operations of every route registered after it (so register it before the
 * routes), and serves the document. Like fastify-plugin: its onRoute hook sees the whole app.
 */
export async function openApiPlugin(app: FastifyInstance): Promise<void> {
  const paths: Record<string, Record<string, unknown>> = {};
  app.addHook('onRoute', (route: RouteOptions) => {
    const op = route.schema?.openapi;
    if (!op) return;
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') (paths[openApiPath(route.url)] ??= {})[method.toLowerCase()] = op; // HEAD: fastify's automatic twin of a GET
    }
  });
  const document = {
    openapi: '3.1.0',
    info: { title: 'Show, Attend and Tell captioning API', version: '1', description: 'Image captions with per-word visual attention (soft or hard), as JSON, Server-Sent Events, or rendered overlays.' },
    paths,
    components: { schemas: { Error: out(ErrorBodySchema) } },
  };
  await app.register(swagger, { mode: 'static', specification: { document: document as never } });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
(openApiPlugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
