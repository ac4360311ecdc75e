// `show-attend-tell worker --redis URL`: pulls caption jobs from Redis until SIGTERM/SIGINT, then
// finishes the running ones and exits. Inference runs in worker threads (WorkerCaptioner), so the
// event loop stays free to renew job locks however long a caption takes.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { WorkerCaptioner } from '../engine/pool.ts';
import { startJobWorker } from '../jobs/worker.ts';
import { flagName, optionHelp } from './help.ts';


/** The environment variables the worker reads (flags win). */
export const WORKER_ENV = ['REDIS_URL', 'WORKER_CONCURRENCY', 'MODELS_DIR', 'JOBS_QUEUE', 'WORKER_HEARTBEAT_FILE'] as const;

const bool = z.union([z.boolean(), z.enum(['true', 'false'])]).transform((v) => v === true || v === 'true');
const WorkerOptionsSchema = z.object({
  redis: z.string().url({ error: 'needs a redis:// URL' }).describe('redis://[user:pass@]host:port[/db] (env REDIS_URL)'),
  queue: z.string().regex(/^[\w-]{1,64}$/).default('captions').describe('queue name, as the API\'s JOBS_QUEUE'),
  concurrency: z.coerce.number().int().min(1).max(16).default(1).describe('jobs at once = inference threads, ~150 MB each with the ort decoder (env WORKER_CONCURRENCY)'),
  modelsDir: z.string().min(1).default('models').describe('encoder + soft/ hard/ decoders (env MODELS_DIR)'),
  download: bool.default(false).describe('fetch the encoder from its official URL when missing'),
  maxPixels: z.coerce.number().int().min(1).default(40_000_000).describe('decoded pixels per image'),
  jobTimeoutMs: z.coerce.number().int().min(100).default(600_000).describe('an inference running longer is stopped and retried'),
  lockMs: z.coerce.number().int().min(100).default(30_000).describe('job lock; a killed worker\'s jobs are picked up again after it'),
  stalledMs: z.coerce.number().int().min(100).default(30_000).describe('how often to look for stalled jobs'),
  maxStalled: z.coerce.number().int().min(0).default(2).describe('a job stalling more often fails'),
  heartbeat: z.string().min(1).optional().describe('touch FILE every 10 s while the event loop runs, for a liveness probe (env WORKER_HEARTBEAT_FILE)'),
  help: bool.default(false).describe('this text'),
}).strict();

/** --help: the options come from WorkerOptionsSchema (flags, defaults, descriptions). */
export function workerUsage(): string {
  return `show-attend-tell worker --redis URL [options]

Runs caption jobs (POST /v1/jobs, caption --redis) from a BullMQ queue on Redis. Start as many as
you like, on any machines that reach Redis and have the models.

options:
${optionHelp(WorkerOptionsSchema, { values: { redis: 'URL', queue: 'NAME', modelsDir: 'DIR', heartbeat: 'FILE' } })}
`;
}

export async function runWorker(raw: Record<string, string | number | boolean>, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const say = (m: string) => void process.stderr.write(`worker: ${m}\n`);
  if (raw.help) {
    process.stdout.write(workerUsage());
    return 0;
  }
  const parsed = WorkerOptionsSchema.safeParse({
    redis: env.REDIS_URL, concurrency: env.WORKER_CONCURRENCY || undefined, modelsDir: env.MODELS_DIR || undefined, queue: env.JOBS_QUEUE || undefined, heartbeat: env.WORKER_HEARTBEAT_FILE || undefined, ...raw,
  });
  if (!parsed.success) {
    say(`bad options:\n${parsed.error.issues.map((i) => `  ${flagName(String(i.path[0] ?? ''))}: ${i.message}`).join('\n')}\n\n${workerUsage()}`);
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
