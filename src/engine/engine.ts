// The one captioning engine: the line of jobs (queue.ts) in front of executors (executor.ts):
// worker threads in production (pool.ts), the calling thread in tests (local.ts).
// Callers use it through the CaptionEngine interface (src/service/engine.ts).
//
// Batching across requests: caption jobs whose plans share a batch key (same search: attention,
// beam size, max length, length penalty; no random draws) go to one executor as one job, up to
// maxBatch images; it encodes them in one run and decodes all their beams as rows of the same
// decoder steps. Each request gets exactly the answer it would get alone. Jobs put in line in the
// same turn of the event loop are taken together; with batchWindowMs, a new job waits that long
// for company when an executor is idle.
import { prepareImage, type PreparedImage, type PrepareOptions } from '../encoder/preprocess.ts';
import type { Attention } from '../model/config.ts';
import type { DrawOptions } from '../render/types.ts';
import type { CaptionedImage, CaptionEngine, OverlayOutput, RunOptions } from '../service/engine.ts';
import { WorkerCrashedError } from '../service/errors.ts';
import { batchKey } from '../service/options.ts';
import type { DecodingPlan, ModelsInfo, WorkerStats } from '../service/schemas.ts';
import { runGroup, type EngineAnswer, type EngineJob, type Executor } from './executor.ts';
import { JobQueue } from './queue.ts';

export interface EngineOptions {
  /** Most images in one batched caption job (default 8; 1 = no batching across requests). */
  maxBatch?: number;
  /** Requests that may wait beyond executors × maxBatch running; more are refused (default: no limit). */
  maxQueue?: number;
  /** An idle executor waits this long for more jobs to batch with a new one (default 0). */
  batchWindowMs?: number;
  /** Largest upload prepare() decodes, in pixels. */
  maxPixels?: number;
}

export class Engine implements CaptionEngine {
  readonly queue: JobQueue<EngineJob, EngineAnswer>;
  readonly maxBatch: number;
  private readonly batchWindowMs: number;
  private readonly busy = new Set<Executor>();
  private readonly batches = { jobs: 0, requests: 0, images: 0 };
  private windowTimer?: NodeJS.Timeout;
  private soon?: NodeJS.Immediate;
  private disposed = false;

  constructor(readonly executors: readonly Executor[], private readonly models: ModelsInfo, private readonly opts: EngineOptions = {}) {
    this.maxBatch = Math.max(1, opts.maxBatch ?? 8);
    this.batchWindowMs = Math.max(0, opts.batchWindowMs ?? 0);
    this.queue = new JobQueue(executors.length * this.maxBatch, opts.maxQueue ?? Infinity, () => this.dispatch());
    for (const e of executors) e.onReady = () => this.dispatch();
  }

  info(): ModelsInfo {
    return this.models;
  }

  has(kind: Attention): boolean {
    return this.models.decoders.some((d) => d.attention === kind);
  }

  prepare(image: Buffer, opts: Pick<PrepareOptions, 'pixels' | 'fine'> = {}): Promise<PreparedImage> {
    return prepareImage(image, this.models.encoder.inputSize, { maxPixels: this.opts.maxPixels, pixels: opts.pixels, fine: opts.fine });
  }

  caption(images: PreparedImage[], plan: DecodingPlan, run: RunOptions = {}): Promise<CaptionedImage[]> {
    return this.submit({ kind: 'caption', key: batchKey(plan), size: images.length, images, plan, onWord: run.onWord }, run.signal) as Promise<CaptionedImage[]>;
  }

  overlay(prepared: PreparedImage, plan: DecodingPlan, draw: DrawOptions, run: Pick<RunOptions, 'signal'> = {}): Promise<OverlayOutput> {
    return this.submit({ kind: 'overlay', size: 1, prepared, plan, draw }, run.signal) as Promise<OverlayOutput>;
  }

  /** Caption jobs sent to executors, the requests and images in them (requests > jobs: batching happened). */
  batchStats(): { jobs: number; requests: number; images: number } {
    return { ...this.batches };
  }

  workerStats(): WorkerStats[] {
    return this.executors.map((e) => e.stats());
  }

  available(): boolean {
    return !this.disposed && this.executors.some((e) => e.ready || this.busy.has(e));
  }

  /** Fails the waiting jobs and stops the executors (an in-thread one leaves its Captioner to the caller). */
  async dispose(): Promise<void> {
    this.disposed = true;
    clearTimeout(this.windowTimer);
    if (this.soon) clearImmediate(this.soon);
    this.queue.clear(new WorkerCrashedError('the captioner is shutting down'));
    await Promise.all(this.executors.map((e) => e.stop()));
  }

  private submit(job: EngineJob, signal?: AbortSignal): Promise<EngineAnswer> {
    if (this.disposed) return Promise.reject(new WorkerCrashedError('the captioner is shutting down'));
    const answer = this.queue.add(job, signal);
    const idle = this.executors.some((e) => e.ready && !this.busy.has(e));
    if (job.key !== undefined && this.batchWindowMs > 0 && this.maxBatch > 1 && idle) {
      // An idle executor would take this job alone at once: give concurrent requests a moment to join it.
      this.windowTimer ??= setTimeout(() => {
        this.windowTimer = undefined;
        this.dispatch();
      }, this.batchWindowMs);
    } else {
      // On a later turn: callers that arrive in this one join the batch.
      this.soon ??= setImmediate(() => {
        this.soon = undefined;
        this.dispatch();
      });
    }
    return answer;
  }

  /** Hands the front of the line to idle executors (on submit, job end and executor start), batching caption jobs. */
  private dispatch(): void {
    for (const executor of this.executors) {
      if (!this.queue.length) return;
      if (!executor.ready || this.busy.has(executor)) continue;
      const group = this.queue.take(this.maxBatch);
      if (!group.length) return;
      if (group[0].job.kind === 'caption') {
        this.batches.jobs++;
        this.batches.requests += group.length;
        this.batches.images += group.reduce((n, g) => n + g.job.size, 0);
      }
      this.busy.add(executor);
      void runGroup(executor, group).finally(() => {
        this.busy.delete(executor);
        this.dispatch();
      });
    }
  }
}
