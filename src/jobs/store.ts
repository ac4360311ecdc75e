// The producer side of batch jobs: images into Redis (with a TTL), jobs into a BullMQ queue,
// status and cancellation. Used by the HTTP API and by `caption --redis`.
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Job, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { CaptionOptions } from '../service/schemas.ts';
import { decodeError, JobDataSchema, JobProgressSchema, JobResultSchema, type JobData, type JobStatus } from './schemas.ts';

export interface JobStoreOptions {
  redisUrl: string;
  queue: string;
  /** Seconds that images and finished jobs are kept. */
  ttlSeconds: number;
  /** Tries for transient failures (a crashed worker process is handled apart: stalled jobs). */
  attempts: number;
  /** Fail fast when Redis is down (the API answers 503) instead of retrying commands forever; commands sent while the first connection is made still wait for it. */
  failFast?: boolean;
}

export interface JobImage {
  filename: string;
  data: Buffer;
}

/** Redis keys besides BullMQ's own, under the same queue name. */
/** How long one wait for a job's finish event lasts before its state is read from Redis. */
const WAIT_SLICE_MS = 5000;

export const imageKey = (queue: string, jobId: string, i: number) => `sat:${queue}:img:${jobId}:${i}`;
export const cancelKey = (queue: string, jobId: string) => `sat:${queue}:cancel:${jobId}`;

// BullMQ and ioredis are loaded when a store or connection is first made: together they cost
// about 28 MB resident, which a server without REDIS_URL (jobs off) would carry for nothing.
const require = createRequire(import.meta.url);
const bullmq = () => require('bullmq') as typeof import('bullmq');

/** BullMQ wants blocking-safe connections (no per-request retry limit) for workers and events. */
export function connect(url: string, failFast = false): Redis {
  const { Redis } = require('ioredis') as typeof import('ioredis');
  return new Redis(url, failFast ? { maxRetriesPerRequest: 1, connectTimeout: 3000 } : { maxRetriesPerRequest: null });
}

export class JobNotFoundError extends Error {
  override name = 'JobNotFoundError';
}

export class JobStore {
  readonly redis: Redis;
  readonly queue: Queue;
  private events: { events: QueueEvents; redis: Redis } | undefined;

  constructor(readonly opts: JobStoreOptions) {
    this.redis = connect(opts.redisUrl, opts.failFast);
    this.redis.on('error', () => {}); // surfaced by the failing command; ioredis reconnects itself
    this.queue = new (bullmq().Queue)(opts.queue, {
      connection: this.redis,
      defaultJobOptions: {
        attempts: opts.attempts,
        backoff: { type: 'exponential', delay: 1000 },
        removeOnComplete: { age: opts.ttlSeconds },
        removeOnFail: { age: opts.ttlSeconds },
      },
    });
    this.queue.on('error', () => {});
    // Every concurrent getJob/wait listens for the queue closing: `caption --redis` has --window of them.
    this.queue.setMaxListeners(0);
  }

  /**
   * Stores the images, then adds the job. With an explicit `jobId` an existing job of that id is
   * left as it is (BullMQ ignores the duplicate add): that is what makes `caption --redis` resumable.
   */
  async enqueue(images: JobImage[], options: CaptionOptions, owner: string | null, jobId: string = randomUUID()): Promise<{ id: string; expiresAt: Date }> {
    const tx = this.redis.multi();
    const refs = images.map((im, i) => {
      const key = imageKey(this.opts.queue, jobId, i);
      tx.set(key, im.data, 'EX', this.opts.ttlSeconds);
      return { filename: im.filename, key };
    });
    await tx.exec();
    const data: JobData = { images: refs, options, owner };
    await this.queue.add('caption', data, { jobId });
    return { id: jobId, expiresAt: new Date(Date.now() + this.opts.ttlSeconds * 1000) };
  }

  /** The job if it exists and belongs to `owner` (undefined: anybody's, for the CLI). */
  async get(id: string, owner?: string | null): Promise<Job | undefined> {
    const job = await this.queue.getJob(id);
    if (!job) return undefined;
    const data = JobDataSchema.safeParse(job.data);
    if (!data.success) return undefined;
    if (owner !== undefined && data.data.owner !== owner) return undefined;
    return job;
  }

  async status(id: string, owner?: string | null): Promise<JobStatus> {
    // State first, then the job: read the other way round, a job finishing in between would be
    // "completed" without its return value.
    const state = await this.queue.getJobState(id);
    const job = await this.get(id, owner);
    if (!job || state === 'unknown') throw new JobNotFoundError(`no job ${id} (unknown, expired after ${this.opts.ttlSeconds} s, or submitted with another key)`);
    const progress = JobProgressSchema.safeParse(job.progress);
    const base = {
      id,
      attempts: job.attemptsStarted ?? job.attemptsMade,
      createdAt: new Date(job.timestamp).toISOString(),
      ...(progress.success ? { progress: progress.data } : {}),
      ...(job.finishedOn ? { finishedAt: new Date(job.finishedOn).toISOString(), expiresAt: new Date(job.finishedOn + this.opts.ttlSeconds * 1000).toISOString() } : {}),
    };
    if (state === 'completed') return { ...base, state, results: JobResultSchema.parse(job.returnvalue).results };
    if (state === 'failed') {
      const error = decodeError(job.failedReason);
      return { ...base, state: error.error === 'cancelled' ? 'cancelled' : 'failed', error };
    }
    if (state === 'active') return { ...base, state };
    if (state === 'delayed') return { ...base, state }; // waiting for a retry (backoff)
    return { ...base, state: 'waiting' };
  }

  /**
   * Not yet running: removed with its images. Running: flagged, and the worker discards the result
   * (a caption cannot be interrupted mid-way; it is short). Finished: results removed.
   */
  async cancel(id: string, owner?: string | null): Promise<'cancelled' | 'cancelling' | 'deleted'> {
    const job = await this.get(id, owner);
    if (!job) throw new JobNotFoundError(`no job ${id} (unknown, expired, or submitted with another key)`);
    const state = await job.getState();
    const finished = state === 'completed' || state === 'failed';
    if (state !== 'active') {
      try {
        await job.remove();
        await this.dropImages(job);
        return finished ? 'deleted' : 'cancelled';
      } catch {
        // Locked: a worker took it meanwhile; fall through to the flag.
      }
    }
    await this.redis.set(cancelKey(this.opts.queue, id), '1', 'EX', this.opts.ttlSeconds);
    return 'cancelling';
  }

  async dropImages(job: Job): Promise<void> {
    const data = JobDataSchema.safeParse(job.data);
    if (data.success) await this.redis.del(...data.data.images.map((im) => im.key));
  }

  /** Resolves with the job's result, or rejects with its failure (as a JobError in `cause`). */
  async wait(job: Job, timeoutMs?: number): Promise<unknown> {
    if (!this.events) {
      const redis = connect(this.opts.redisUrl); // blocking reads: a connection of its own
      this.events = { redis, events: new (bullmq().QueueEvents)(this.opts.queue, { connection: redis }) };
      this.events.events.on('error', () => {});
    }
    await this.events.events.waitUntilReady();
    // The event stream can miss a job that finishes just as the listener starts reading, so the
    // wait is sliced, and after each slice the job's own state in Redis is read.
    const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
    for (;;) {
      try {
        return await job.waitUntilFinished(this.events.events, Math.max(1, Math.min(WAIT_SLICE_MS, deadline - Date.now())));
      } catch (err) {
        if (!/timed out before finishing/.test(err instanceof Error ? err.message : String(err))) throw err;
        // State first, then the job: a job read before it finished has no return value yet,
        // even when the state read a moment later already says completed.
        const state = await this.queue.getJobState(job.id!);
        const fresh = state === 'completed' || state === 'failed' ? await bullmq().Job.fromId(this.queue, job.id!) : undefined;
        if (fresh && state === 'completed') return fresh.returnvalue;
        if (fresh && state === 'failed') throw new Error(fresh.failedReason);
        if (Date.now() >= deadline) throw err;
      }
    }
  }

  async close(): Promise<void> {
    await this.events?.events.close();
    this.events?.redis.disconnect();
    await this.queue.close();
    this.redis.disconnect();
  }
}
