// The CaptionEngine on the calling thread: one Captioner behind the same line of jobs as the
// pool (queue.ts), with one executor (the "lane") that takes a batch at a time. Decoding blocks
// this thread while it runs, so a server uses the pool (pool.ts); tests use this to drive the
// HTTP app without worker threads, and get the same admission, batching and abort behaviour.
import type { PreparedImage, PrepareOptions } from '../encoder/preprocess.ts';
import type { Attention } from '../model/config.ts';
import type { DrawOptions } from '../render/types.ts';
import { batchKey, type Captioner, type CaptionPart } from './captioner.ts';
import type { CaptionedImage, CaptionEngine, OnWord, RunOptions } from './engine.ts';
import { WorkerCrashedError } from './errors.ts';
import type { OverlayOutput } from './overlay.ts';
import { JobQueue, type Queueable, type Ticket } from './queue.ts';
import type { CaptionOptions, ModelsInfo, WorkerStats } from './schemas.ts';

export interface LocalEngineOptions {
  /** Most images decoded together across concurrent requests (default 8). */
  maxBatch?: number;
  /** Requests that may wait beyond the running batch (default 16, as the server's MAX_QUEUE). */
  maxQueue?: number;
}

type LocalJob = Queueable & (
  | { kind: 'caption'; part: CaptionPart; onWord?: OnWord }
  | { kind: 'overlay'; prepared: PreparedImage; options: CaptionOptions; draw: DrawOptions }
);
type LocalAnswer = CaptionedImage[] | OverlayOutput;

export class LocalEngine implements CaptionEngine {
  readonly queue: JobQueue<LocalJob, LocalAnswer>;
  private readonly maxBatch: number;
  private busy = false;
  private jobs = 0;
  private disposed = false;

  constructor(readonly captioner: Captioner, opts: LocalEngineOptions = {}) {
    this.maxBatch = Math.max(1, opts.maxBatch ?? 8);
    this.queue = new JobQueue(this.maxBatch, opts.maxQueue ?? 16, () => this.pump());
  }

  info(): ModelsInfo {
    return this.captioner.info();
  }

  has(kind: Attention): boolean {
    return this.captioner.has(kind);
  }

  prepare(image: Buffer, opts: Pick<PrepareOptions, 'pixels'> = {}): Promise<PreparedImage> {
    return this.captioner.prepare(image, opts);
  }

  async caption(images: (Buffer | PreparedImage)[], o: CaptionOptions, run: RunOptions = {}): Promise<CaptionedImage[]> {
    // Uploaded bytes are decoded in the batch, where a bad one would fail every request of it.
    const key = images.every((im) => !Buffer.isBuffer(im)) ? batchKey(o) : undefined;
    const job: LocalJob = { kind: 'caption', key, size: images.length, part: { images, options: o }, onWord: run.onWord };
    return this.submit(job, run.signal) as Promise<CaptionedImage[]>;
  }

  overlay(prepared: PreparedImage, o: CaptionOptions, draw: DrawOptions, run: Pick<RunOptions, 'signal'> = {}): Promise<OverlayOutput> {
    return this.submit({ kind: 'overlay', size: 1, prepared, options: o, draw }, run.signal) as Promise<OverlayOutput>;
  }

  workerStats(): WorkerStats[] {
    return [{ id: 0, state: 'in-process', jobs: this.jobs, restarts: 0, ...this.captioner.memory() }];
  }

  available(): boolean {
    return !this.disposed;
  }

  /** Fails the waiting jobs; the Captioner belongs to the caller (tests share one). */
  async dispose(): Promise<void> {
    this.disposed = true;
    this.queue.clear(new WorkerCrashedError('the captioner is shutting down'));
  }

  private submit(job: LocalJob, signal?: AbortSignal): Promise<LocalAnswer> {
    if (this.disposed) return Promise.reject(new WorkerCrashedError('the captioner is shutting down'));
    const answer = this.queue.add(job, signal);
    this.pump();
    return answer;
  }

  /** The lane: one batch at a time, taken from the front of the line. */
  private pump(): void {
    if (this.busy || !this.queue.length) return;
    this.busy = true;
    // Take on a later tick: callers that arrive in this one join the batch.
    setImmediate(() => {
      const group = this.queue.take(this.maxBatch);
      if (!group.length) {
        this.busy = false; // all slots held (or the waiting left): onFree pumps again
        return;
      }
      void this.runGroup(group).finally(() => {
        this.busy = false;
        this.jobs++;
        this.pump();
      });
    });
  }

  private async runGroup(group: Ticket<LocalJob, LocalAnswer>[]): Promise<void> {
    const [first] = group;
    try {
      if (first.job.kind === 'overlay') {
        const { prepared, options, draw } = first.job;
        first.resolve(await this.captioner.overlay(prepared, options, draw));
        return;
      }
      const jobs = group.map((g) => g.job as Extract<LocalJob, { kind: 'caption' }>);
      const streaming = jobs.some((j) => j.onWord);
      const out = await this.captioner.captionParts(jobs.map((j) => j.part), streaming ? (part, image, token) => {
        if (!group[part].abandoned) jobs[part].onWord?.(image, token);
      } : undefined);
      group.forEach((g, i) => g.resolve(out[i]));
    } catch (err) {
      group.forEach((g) => g.reject(err as Error));
    }
  }
}
