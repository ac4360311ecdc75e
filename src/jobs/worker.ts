// The consumer side: a BullMQ worker that captions jobs with a CaptionEngine. Any number of these
// run on any machines against one Redis. A worker killed mid-job loses nothing: its lock expires,
// BullMQ's stalled-job check puts the job back, another worker runs it. A bad image fails its job
// (no retry) with the error the HTTP API gives, and the worker carries on.
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { checkModel, prepareAll } from '../service/checks.ts';
import type { CaptionEngine } from '../service/engine.ts';
import { serviceErrorStatus } from '../service/errors.ts';
import { decodingPlan, wantsFineFocus } from '../service/options.ts';
import { encodeError, JobDataSchema, type JobProgress, type JobResult } from './schemas.ts';
import { cancelKey, connect } from './store.ts';

export interface JobWorkerOptions {
  redisUrl: string;
  queue: string;
  engine: CaptionEngine;
  /** Jobs run at once by this worker (the engine should have as many inference threads). */
  concurrency: number;
  /** A job's lock; renewed every lockMs/2 while it runs. A dead worker's jobs return after it lapses. */
  lockMs?: number;
  /** How often this worker looks for stalled jobs (of any worker). */
  stalledMs?: number;
  /** A job that stalled more often than this fails (a job that kills every worker is poison too). */
  maxStalled?: number;
  log?: (msg: string) => void;
}

export interface JobWorker {
  worker: Worker;
  close(): Promise<void>;
}

const cancelled = () => new UnrecoverableError(encodeError({ status: 499, error: 'cancelled', message: 'the job was cancelled' }));

export async function startJobWorker(o: JobWorkerOptions): Promise<JobWorker> {
  const log = o.log ?? (() => {});
  const redis: Redis = connect(o.redisUrl);
  redis.on('error', () => {});
  const isCancelled = async (id: string) => (await redis.exists(cancelKey(o.queue, id))) === 1;

  const process = async (job: Job): Promise<JobResult> => {
    const t0 = performance.now();
    const data = JobDataSchema.parse(job.data);
    const id = job.id!;
    if (await isCancelled(id)) throw cancelled();
    const images = data.images.length;
    const progress = (p: Omit<JobProgress, 'images'>) => job.updateProgress({ ...p, images });
    await progress({ stage: 'preparing', done: 0 });
    const buffers = await Promise.all(data.images.map((im) => redis.getBuffer(im.key)));
    if (buffers.some((b) => b === null)) throw new UnrecoverableError(encodeError({ status: 410, error: 'images_expired', message: 'the uploaded images are no longer in Redis (their TTL ran out before a worker got to the job)' }));
    let result: JobResult;
    try {
      checkModel(o.engine, data.options);
      // Same steps and the same error messages as POST /v1/captions.
      const plan = decodingPlan(data.options);
      const prepared = await prepareAll(o.engine, data.images.map((im, i) => ({ filename: im.filename, data: buffers[i]! })), { fine: wantsFineFocus(plan) });
      await progress({ stage: 'captioning', done: 0 });
      const captioned = await o.engine.caption(prepared, plan);
      result = { results: captioned.map((c) => c.result) };
    } catch (err) {
      const e = serviceErrorStatus(err);
      // The client's fault (bad image, bad option): retrying cannot help.
      if (e && e.status < 500) throw new UnrecoverableError(encodeError({ status: e.status, error: e.code, message: e.message }));
      throw err; // transient (inference thread crashed or timed out) or a bug: BullMQ retries with backoff
    }
    if (await isCancelled(id)) throw cancelled();
    await progress({ stage: 'done', done: images });
    await redis.del(...data.images.map((im) => im.key));
    log(`job ${id}: ${images} image(s) in ${Math.round(performance.now() - t0)} ms (attempt ${job.attemptsStarted})`);
    return result;
  };

  const connection = connect(o.redisUrl); // ours, so ours to close
  const worker = new Worker(o.queue, process, {
    connection,
    concurrency: o.concurrency,
    lockDuration: o.lockMs ?? 30_000,
    stalledInterval: o.stalledMs ?? 30_000,
    maxStalledCount: o.maxStalled ?? 2,
    autorun: false,
  });
  worker.on('failed', (job, err) => {
    if (!job) return;
    // Images are kept while a retry may still come.
    const final = err instanceof UnrecoverableError || err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
    if (final) void redis.del(...JobDataSchema.safeParse(job.data).data?.images.map((im) => im.key) ?? ['-']).catch(() => {});
    log(`job ${job.id} failed${final ? '' : ' (will retry)'}: ${err.message}`);
  });
  worker.on('error', (err) => log(`worker error: ${err.message}`));
  void worker.run();
  await worker.waitUntilReady();
  return {
    worker,
    close: async () => {
      await worker.close(); // waits for the running jobs
      redis.disconnect();
      connection.disconnect();
    },
  };
}
