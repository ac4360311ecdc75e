// Liveness, readiness and model description.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ModelsInfoSchema } from '../../service/schemas.ts';
import { engineStats, requireCaptioner, requireReady } from '../context.ts';
import { edgeErrors, err, json } from '../openapi.ts';
import { HealthSchema, ReadySchema, type Ready } from '../schemas.ts';

export const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  const ctx = app.api;
  // Alive = the event loop answers; deliberately independent of the model.
  app.get('/healthz', { schema: {
    summary: 'Liveness',
    response: { 200: json('alive', HealthSchema) },
  } }, async () => ({ status: 'ok' as const }));

  app.get('/readyz', { schema: {
    summary: 'Readiness: model loaded, a worker up, not shutting down; per-worker stats (tf tensor counts)',
    response: { 200: json('ready', ReadySchema), 503: err('loading, shutting down, or every inference worker restarting') },
  } }, async () => {
    const c = requireReady(ctx);
    const body: Ready = { status: 'ready', queue: c.queue.stats(), workers: engineStats(c) };
    return body;
  });

  app.get('/v1/models', { schema: {
    summary: 'Encoder, decoders, backend and warnings (e.g. UNTRAINED)',
    response: { 200: json('models', ModelsInfoSchema), 503: err('not ready'), ...edgeErrors },
  } }, async () => requireCaptioner(ctx).info());
};
