// Prometheus metrics: request counts/latency by route, queue depth, inference outcomes.
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { InferenceQueue } from './queue.ts';

/** Registers GET /metrics; a registry per app so tests can build many apps. */
export function metricsPlugin(app: FastifyInstance, queue: InferenceQueue): void {
  const register = new Registry();
  collectDefaultMetrics({ register });
  const requests = new Counter({ name: 'http_requests_total', help: 'HTTP responses by route, method and status', labelNames: ['route', 'method', 'status'], registers: [register] });
  const latency = new Histogram({
    name: 'http_request_duration_seconds', help: 'time to respond, by route', labelNames: ['route', 'method'], registers: [register],
    buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  });
  new Gauge({ name: 'inference_queue_running', help: 'inferences running now', registers: [register], collect() { this.set(queue.stats().running); } });
  new Gauge({ name: 'inference_queue_waiting', help: 'requests waiting for an inference slot', registers: [register], collect() { this.set(queue.stats().waiting); } });
  new Gauge({ name: 'inference_queue_capacity', help: 'MAX_CONCURRENT', registers: [register], collect() { this.set(queue.capacity); } });
  new Counter({ name: 'inference_jobs_total', help: 'finished inference jobs by outcome', labelNames: ['outcome'], registers: [register], collect() {
    this.reset();
    this.inc({ outcome: 'ok' }, queue.completed.ok);
    this.inc({ outcome: 'failed' }, queue.completed.failed);
  } });

  // Unmatched URLs share one label so scanners cannot blow up the label space.
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    requests.inc({ route, method: req.method, status: String(reply.statusCode) });
    latency.observe({ route, method: req.method }, reply.elapsedTime / 1000);
  });
  app.get('/metrics', async (_req, reply) => reply.type(register.contentType).send(await register.metrics()));
}
