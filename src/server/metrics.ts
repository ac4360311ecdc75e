// Prometheus metrics: request counts/latency by route, queue depth, inference outcomes.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { engineStats } from './context.ts';
import { z } from 'zod';
import { err } from './openapi.ts';

/**
 * GET /metrics and the per-route counters; a registry per app so tests can build many apps.
 * At the root (fastify-plugin): its onResponse hook counts every route of the app.
 */
export const metricsPlugin = fp(async (app: FastifyInstance) => {
  // The engine's line (src/engine/queue.ts); zeros until the model has loaded.
  const queue = () => app.api.captioner()?.queue;
  const register = new Registry();
  collectDefaultMetrics({ register });
  const requests = new Counter({ name: 'http_requests_total', help: 'HTTP responses by route, method and status', labelNames: ['route', 'method', 'status'], registers: [register] });
  const latency = new Histogram({
    name: 'http_request_duration_seconds', help: 'time to respond, by route', labelNames: ['route', 'method'], registers: [register],
    buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  });
  new Gauge({ name: 'inference_queue_running', help: 'inferences running now', registers: [register], collect() { this.set(queue()?.stats().running ?? 0); } });
  new Gauge({ name: 'inference_queue_waiting', help: 'requests waiting for an inference slot', registers: [register], collect() { this.set(queue()?.stats().waiting ?? 0); } });
  new Gauge({ name: 'inference_queue_capacity', help: 'requests that may run at once (MAX_CONCURRENT × MAX_BATCH)', registers: [register], collect() { this.set(queue()?.capacity ?? 0); } });
  new Counter({ name: 'inference_jobs_total', help: 'finished inference jobs by outcome', labelNames: ['outcome'], registers: [register], collect() {
    this.reset();
    this.inc({ outcome: 'ok' }, queue()?.completed.ok ?? 0);
    this.inc({ outcome: 'failed' }, queue()?.completed.failed ?? 0);
  } });

  // Per inference worker, as of its latest job (a busy worker cannot be asked without waiting).
  const perWorker = (name: string, help: string, pick: (s: ReturnType<typeof engineStats>[number]) => number) =>
    new Gauge({ name, help, labelNames: ['worker'], registers: [register], collect() {
      this.reset();
      for (const s of engineStats(app.api.captioner())) this.set({ worker: String(s.id) }, pick(s));
    } });
  perWorker('inference_worker_tensors', 'tf.memory().numTensors in the worker after its latest job (steady growth = leak)', (s) => s.numTensors);
  perWorker('inference_worker_tensor_bytes', 'bytes held by tfjs tensors in the worker', (s) => s.numBytes);
  perWorker('inference_worker_heap_bytes', 'V8 heap used by the worker isolate', (s) => s.heapUsed);
  perWorker('inference_worker_jobs', 'jobs finished by the worker', (s) => s.jobs);
  perWorker('inference_worker_restarts', 'times the worker died and was restarted', (s) => s.restarts);
  perWorker('inference_worker_up', '1 when the worker can take jobs (idle or busy)', (s) => (['idle', 'busy', 'in-process'].includes(s.state) ? 1 : 0));

  // Unmatched URLs share one label so scanners cannot blow up the label space.
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    requests.inc({ route, method: req.method, status: String(reply.statusCode) });
    latency.observe({ route, method: req.method }, reply.elapsedTime / 1000);
  });
  const schema = {
    summary: 'Prometheus metrics',
    response: { 200: { description: 'text exposition format', content: { 'text/plain': { schema: z.string() } } }, 401: err('METRICS_API_KEYS is set and the request has no valid Bearer key') },
  };
  app.get('/metrics', { schema }, async (_req, reply) => reply.type(register.contentType).send(await register.metrics()));
}, { name: 'metrics' });
