// Liveness, readiness and model description.
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.ts';
import { requireCaptioner } from '../context.ts';

export function healthRoutes(app: FastifyInstance, ctx: ApiContext): void {
  // Alive = the event loop answers; deliberately independent of the model.
  app.get('/healthz', async () => ({ status: 'ok' as const }));
  app.get('/readyz', async () => {
    requireCaptioner(ctx);
    return { status: 'ready' as const, queue: ctx.queue.stats() };
  });
  app.get('/v1/models', async () => requireCaptioner(ctx).info());
}
