// Liveness, readiness and model description.
import type { FastifyPluginAsync } from 'fastify';
import { ModelsInfoSchema } from '../../service/schemas.ts';
import { engineStats, requireCaptioner, requireReady } from '../context.ts';
import { edgeErrors, err, out } from '../openapi.ts';
import { HealthSchema, ReadySchema, type Ready } from '../schemas.ts';

export const healthRoutes: FastifyPluginAsync = async (app) => {
  const ctx = app.api;
  // Alive = the event loop answers; deliberately independent of the model.
  app.get('/healthz', { schema: { openapi: {
    summary: 'Liveness',
    responses: { 200: { description: 'alive', content: { 'application/json': { schema: out(HealthSchema) } } } },
  } } }, async () => ({ status: 'ok' as const }));

  app.get('/readyz', { schema: { openapi: {
    summary: 'Readiness: model loaded, a worker up, not shutting down; per-worker stats (tf tensor counts)',
    responses: { 200: { description: 'ready', content: { 'application/json': { schema: out(ReadySchema) } } }, 503: err('loading, shutting down, or every inference worker restarting') },
  } } }, async () => {
    const c = requireReady(ctx);
    const body: Ready = { status: 'ready', queue: c.queue.stats(), workers: engineStats(c) };
    return body;
  });

  app.get('/v1/models', { schema: { openapi: {
    summary: 'Encoder, decoders, backend and warnings (e.g. UNTRAINED)',
    responses: { 200: { description: 'models', content: { 'application/json': { schema: out(ModelsInfoSchema) } } }, 503: err('not ready'), ...edgeErrors },
  } } }, async () => requireCaptioner(ctx).info());
};
