import type { FastifyInstance } from 'fastify';

/** Serves the web page at / (placeholder until the page lands). */
export async function webPlugin(app: FastifyInstance): Promise<void> {
  app.get('/', { schema: { hide: true } }, async (_req, reply) => reply.type('text/html').send('<!doctype html><title>Show, Attend and Tell</title><p>API at /v1/captions</p>'));
}
