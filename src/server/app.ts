// The HTTP app: routes, uniform JSON errors, request ids, upload draining.
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import multipart from '@fastify/multipart';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { CaptionEngine } from '../service/engine.ts';
import { webPlugin } from '../web/plugin.ts';
import type { ServerConfig } from './config.ts';
import type { ApiContext } from './context.ts';
import { HttpError, toHttpError } from './errors.ts';
import { metricsPlugin } from './metrics.ts';
import { openApiPlugin } from './openapi.ts';
import { captionsRoute } from './routes/captions.ts';
import { healthRoutes } from './routes/health.ts';
import { jobsRoutes } from './routes/jobs.ts';
import { overlaysRoute } from './routes/overlays.ts';
import { securityPlugin } from './security.ts';
import type { ErrorBody } from './schemas.ts';
import { drainBody } from './upload.ts';

export interface AppOptions {
  /**
   * A loaded engine, or its loading promise (readiness stays 503 until it resolves): in
   * production a WorkerCaptioner (inference off the event loop); tests may pass a LocalEngine.
   * Its queue (built with MAX_QUEUE) admits or refuses every captioning request.
   */
  captioner: CaptionEngine | Promise<CaptionEngine>;
  config: ServerConfig;
  /** Where the pino logs go (default stdout); tests read them to check no key is logged. */
  logStream?: NodeJS.WritableStream;
}

export interface CaptionApp {
  app: FastifyInstance;
  /** Flip readiness to 503 ahead of close(), so balancers drain us first. */
  beginShutdown(): void;
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;
// Client-supplied ids are echoed into logs, so only short plain tokens are accepted.
const SAFE_ID = /^[\w.:-]{1,64}$/;

export function buildApp(opts: AppOptions): FastifyInstance {
  return createApp(opts).app;
}

export function createApp(opts: AppOptions): CaptionApp {
  const { config } = opts;
  let captioner: CaptionEngine | undefined;
  let closing = false;
  const ctx: ApiContext = { config, captioner: () => captioner, closing: () => closing };
  if (opts.captioner instanceof Promise) opts.captioner.then((c) => { captioner = c; }, () => {});
  else captioner = opts.captioner;

  const app = Fastify({
    // '*.headers': @fastify/multipart traces busboyOptions.headers, with the API key in them.
    logger: { level: config.logLevel, redact: ['req.headers.authorization', 'req.headers.cookie', '*.headers.authorization', '*.headers.cookie'], ...(opts.logStream ? { stream: opts.logStream } : {}) },
    trustProxy: config.trustProxy as boolean, // (a hop count works too; the types omit it) behind a proxy, req.ip (rate limits) is the client's address
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && SAFE_ID.test(given) ? given : randomUUID();
    },
    requestTimeout: config.bodyTimeoutMs, // whole request incl. upload → 408 via clientErrorHandler
    connectionTimeout: config.idleTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    http: { connectionsCheckingInterval: Math.min(1000, config.bodyTimeoutMs) }, // node's default 30 s makes the timeout coarse
    return503OnClosing: true,
    clientErrorHandler: clientError,
  });

  // Route schemas are zod: fastify validates requests and serialises responses with them.
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  // A reply sent before the upload was fully read (limits, bad input) leaves body bytes behind.
  const drainCap = config.maxFiles * config.maxFileBytes + 1024 * 1024;
  app.addHook('onResponse', async (req, reply) => drainBody(req.raw, drainCap, reply.getHeader('connection') === 'close'));

  app.setErrorHandler((err, req, reply) => {
    const e = toHttpError(err);
    if (e.status >= 500 && e.code === 'internal_error') req.log.error({ err }, 'unhandled error');
    else req.log.info({ status: e.status, code: e.code, reason: e.message }, 'request rejected');
    return sendError(req, reply, e);
  });

  app.setNotFoundHandler((req, reply) => {
    // Right path, wrong method → 405 with Allow; otherwise 404. Both JSON.
    const url = req.url.split('?')[0];
    const allowed = METHODS.filter((m) => app.hasRoute({ url, method: m }));
    if (allowed.length) return sendError(req, reply, new HttpError(405, 'method_not_allowed', `${req.method} is not allowed on ${url}; use ${allowed.join(', ')}`, { allow: allowed.join(', ') }));
    return sendError(req, reply, new HttpError(404, 'not_found', `no route ${req.method} ${url}`));
  });

  app.decorate('api', ctx);
  app.register(securityPlugin, { config }); // first: its hooks must run before every route's
  app.register(openApiPlugin); // before the routes: it collects their schemas as they are added
  app.register(metricsPlugin);
  app.register(webPlugin);
  app.register(async (api) => {
    // Uploads only: fastify's parsers never read the body here. Multipart and raw images are
    // streamed by the handlers, a JSON body is read by a preValidation hook within the upload
    // limits (upload-route.ts), anything else reaches the handlers unread and is refused with a
    // helpful message.
    api.removeAllContentTypeParsers();
    await api.register(multipart, { throwFileSizeLimit: false }); // see readUpload
    api.addContentTypeParser('*', (_req, _payload, done) => done(null));
    await api.register(captionsRoute);
    await api.register(overlaysRoute);
    await api.register(jobsRoutes);
  });
  app.register(healthRoutes);

  return { app, beginShutdown: () => { closing = true; } };
}

function sendError(req: FastifyRequest, reply: import('fastify').FastifyReply, e: HttpError) {
  const body: ErrorBody = { error: e.code, message: e.message, requestId: req.id };
  return reply.code(e.status).headers(e.headers).type('application/json; charset=utf-8').send(body);
}

/** Node-level errors (request timeout, malformed HTTP) in the same JSON shape. */
function clientError(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  // A response already under way on this socket (e.g. an early 413) must not be corrupted.
  const busy = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
  if (socket.writable && !busy) {
    const [status, code, message] = err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'request_timeout', 'the request (headers and upload) did not arrive in time']
      : err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'headers_too_large', 'request headers are too large']
      : [400, 'bad_request', 'malformed HTTP request'];
    const body = JSON.stringify({ error: code, message } satisfies ErrorBody);
    socket.write(`HTTP/1.1 ${status} ${code.replace(/_/g, ' ')}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  this.log.debug({ err: err.code }, 'client error');
  socket.destroy();
}
