// `show-attend-tell worker --redis URL`: pulls caption jobs from Redis until SIGTERM/SIGINT, then
// finishes the running ones and exits. Inference runs in worker threads (WorkerCaptioner), so the
// event loop stays free to renew job locks however long a caption takes.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { WorkerCaptioner } from '../service/pool.ts';
import { startJobWorker } from '../jobs/worker.ts';

export const WORKER_USAGE = `show-attend-tell worker --redis URL [options]

Runs caption jobs (POST /v1/jobs, caption --redis) from a BullMQ queue on Redis. Start as many as
you like, on any machines that reach Redis and have the models.

options (defaults):
  --redis URL            redis://[user:pass@]host:port[/db]  (env REDIS_URL)
  --queue NAME           queue name, as the API's JOBS_QUEUE (captions)
  --concurrency N        jobs at once = inference threads, ~210 MB each (env WORKER_CONCURRENCY, 1)
  --models-dir DIR       encoder + soft/ hard/ decoders (env MODELS_DIR, else models)
  --download             fetch the encoder from its official URL when missing
  --max-pixels N         decoded pixels per image (40000000)
  --job-timeout-ms N     an inference running longer is stopped and retried (600000)
  --lock-ms N            job lock; a killed worker's jobs are picked up again after it (30000)
  --stalled-ms N         how often to look for stalled jobs (30000)
  --max-stalled N        a job stalling more often fails (2)
  --heartbeat FILE       touch FILE every 10 s while the event loop runs, for a liveness probe
                         (env WORKER_HEARTBEAT_FILE)
`;

/** The environment variables the worker reads (flags win). */
export const WORKER_ENV = ['REDIS_URL', 'WORKER_CONCURRENCY', 'MODELS_DIR', 'JOBS_QUEUE', 'WORKER_HEARTBEAT_FILE'] as const;

const bool = z.union([z.boolean(), z.enum(['true', 'false'])]).transform((v) => v === true || v === 'true');
const WorkerOptionsSchema = z.object({
  redis: z.string().url({ error: 'needs a redis:// URL' }),
  queue: z.string().regex(/^[\w-]{1,64}$/).default('captions'),
  concurrency: z.coerce.number().int().min(1).max(16).default(1),
  modelsDir: z.string().min(1).default('models'),
  download: bool.default(false),
  maxPixels: z.coerce.number().int().min(1).default(40_000_000),
  jobTimeoutMs: z.coerce.number().int().min(100).default(600_000),
  lockMs: z.coerce.number().int().min(100).default(30_000),
  stalledMs: z.coerce.number().int().min(100).default(30_000),
  maxStalled: z.coerce.number().int().min(0).default(2),
  heartbeat: z.string().min(1).optional(),
  help: bool.default(false),
}).strict();

export async function runWorker(raw: Record<string, string | number | boolean>, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const say = (m: string) => void process.stderr.write(`worker: ${m}\n`);
  if (raw.help) {
    process.stdout.write(WORKER_USAGE);
    return 0;
  }
  const parsed = WorkerOptionsSchema.safeParse({
    redis: env.REDIS_URL, concurrency: env.WORKER_CONCURRENCY || undefined, modelsDir: env.MODELS_DIR || undefined, queue: env.JOBS_QUEUE || undefined, heartbeat: env.WORKER_HEARTBEAT_FILE || undefined, ...raw,
  });
  if (!parsed.success) {
    say(`bad options:\n${parsed.error.issues.map((i) => `  --${String(i.path[0] ?? '').replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}: ${i.message}`).join('\n')}\n\n${WORKER_USAGE}`);
    return 2;
  }
  const o = parsed.data;
  const redisShown = o.redis.replace(/\/\/[^@/]*@/, '//***@'); // no password in logs
  const engine = await WorkerCaptioner.start({
    modelsDir: resolve(o.modelsDir), allowDownload: o.download, maxPixels: o.maxPixels,
    workers: o.concurrency, jobTimeoutMs: o.jobTimeoutMs, log: (m) => say(m),
  });
  const w = await startJobWorker({ redisUrl: o.redis, queue: o.queue, engine, concurrency: o.concurrency, lockMs: o.lockMs, stalledMs: o.stalledMs, maxStalled: o.maxStalled, log: say });
  const beat = () => { if (o.heartbeat) writeFileSync(o.heartbeat, `${Date.now()}\n`); };
  beat();
  const heartbeat = o.heartbeat ? setInterval(beat, 10_000) : undefined;
  say(`ready: queue ${o.queue} on ${redisShown}, concurrency ${o.concurrency}, pid ${process.pid}`);

  return new Promise<number>((done) => {
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) process.exit(1); // second signal: now
      stopping = true;
      say(`${signal}: finishing running jobs`);
      clearInterval(heartbeat);
      await w.close();
      await engine.dispose();
      say('stopped');
      done(0);
    };
    process.on('SIGTERM', () => void stop('SIGTERM'));
    process.on('SIGINT', () => void stop('SIGINT'));
  });
}
