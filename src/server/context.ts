// What the routes share: settings and the (possibly still loading) engine, whose queue admits jobs,
// decorated on the app as `app.api` (see createApp).
import type { CaptionEngine } from '../service/engine.ts';
import type { WorkerStats } from '../service/schemas.ts';
import type { ServerConfig } from './config.ts';
import { HttpError } from './errors.ts';

export interface ApiContext {
  config: ServerConfig;
  /** undefined until the model has loaded (or when it failed to). */
  captioner(): CaptionEngine | undefined;
  /** True once shutdown has begun: readiness goes red so balancers stop sending. */
  closing(): boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    api: ApiContext;
  }
}

/** The loaded engine, or a 503 the client may retry. */
export function requireCaptioner(ctx: ApiContext): CaptionEngine {
  const c = ctx.captioner();
  if (!c || ctx.closing()) throw new HttpError(503, 'not_ready', ctx.closing() ? 'the server is shutting down' : 'the model is still loading', { 'retry-after': '5' });
  return c;
}

/**
 * preValidation hook of the captioning routes: 503 unless the engine is loaded and its queue has
 * room, before any body is read or validated (the handler then takes ctx.captioner()).
 */
export function admitCaptioning(ctx: ApiContext): () => Promise<void> {
  return async () => {
    requireCaptioner(ctx).queue.admit();
  };
}

/**
 * For /readyz: also red while every inference worker is restarting (after a crash), so
 * balancers look elsewhere. API requests are still accepted then: they wait in the queue.
 */
export function requireReady(ctx: ApiContext): CaptionEngine {
  const c = requireCaptioner(ctx);
  if (!c.available()) throw new HttpError(503, 'not_ready', 'the inference workers are restarting', { 'retry-after': '2' });
  return c;
}

/** Per-worker stats (none until the model has loaded). */
export function engineStats(c: CaptionEngine | undefined): WorkerStats[] {
  return c ? c.workerStats() : [];
}
