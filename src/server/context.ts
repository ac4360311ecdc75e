// What the routes share: settings, the inference queue and the (possibly still loading) model.
import type { Captioner } from '../service/captioner.ts';
import type { ServerConfig } from './config.ts';
import { HttpError } from './errors.ts';
import type { InferenceQueue } from './queue.ts';

export interface ApiContext {
  config: ServerConfig;
  queue: InferenceQueue;
  /** undefined until the model has loaded (or when it failed to). */
  captioner(): Captioner | undefined;
  /** True once shutdown has begun: readiness goes red so balancers stop sending. */
  closing(): boolean;
}

/** The loaded captioner, or a 503 the client may retry. */
export function requireCaptioner(ctx: ApiContext): Captioner {
  const c = ctx.captioner();
  if (!c || ctx.closing()) throw new HttpError(503, 'not_ready', ctx.closing() ? 'the server is shutting down' : 'the model is still loading', { 'retry-after': '5' });
  return c;
}
