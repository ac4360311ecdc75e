// Liveness, readiness and model description.
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.ts';
import { engineStats, requireCaptioner, requireReady } from '../context.ts';
import type { Ready } from '../schemas.ts';

export function healthRoutes(app: FastifyInstance, ctx: ApiContext): void {
  // Alive = the event loop answers; deliberately independent of the model.
  app.get('/healthz', async () => ({ status: 'ok' as const }));
  app.get('/readyz', async () => {
    const c = requireReady(ctx);
    const body: Ready = { status: 'ready', queue: ctx.queue.stats(), workers: engineStats(c) };
    return body;
  });
  app.get('/v1/models', async () => requireCaptioner(ctx).info());
}
