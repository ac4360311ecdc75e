// The one line of captioning jobs in front of an engine's executors (worker threads, or the
// calling thread: engine.ts). It decides everything about waiting:
//   - admission: a job is refused (QueueFullError → 503 busy + Retry-After) when `capacity`
//     jobs are running and `maxQueue` more are waiting; inference is CPU-bound, so a longer line
//     only makes every answer later;
//   - order: FIFO; an idle executor takes the first job plus the later ones with the same batch
//     key, up to its batch size, so concurrent requests are decoded together;
//   - giving up: a caller whose signal aborts while its job waits is dropped from the line; once
//     running, the caller is released at once but the job keeps its slot until the executor
//     finishes it (CPU work cannot be interrupted);
//   - the numbers /readyz and /metrics show.
import { QueueFullError } from '../service/errors.ts';
import type { EngineQueue } from '../service/engine.ts';
import type { QueueStats } from '../service/schemas.ts';

/** What the queue needs to know of a job. */
export interface Queueable {
  /** Jobs with the same key may run as one batch; undefined: runs alone. */
  key?: string;
  /** Its share of a batch (images). */
  size: number;
}

/** A job an executor has taken: it counts as running until settled here. */
export interface Ticket<J, R> {
  job: J;
  /** True once its caller gave up (its answer goes nowhere; streamed words need not be sent). */
  readonly abandoned: boolean;
  resolve(value: R): void;
  reject(err: Error): void;
}

interface Entry<J, R> {
  job: J;
  resolve(value: R): void;
  reject(err: Error): void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export class JobQueue<J extends Queueable, R> implements EngineQueue {
  private readonly waiting: Entry<J, R>[] = [];
  private running = 0;
  private avgMs = 1000; // smoothed running time of a job, for Retry-After
  readonly completed = { ok: 0, failed: 0 };

  /** `onFree`: called when a running slot frees (executors may take the next job). */
  constructor(readonly capacity: number, readonly maxQueue: number, private readonly onFree: () => void = () => {}) {
    if (!(capacity >= 1)) throw new RangeError('queue capacity must be at least 1');
    if (!(maxQueue >= 0)) throw new RangeError('maxQueue must be at least 0');
  }

  get full(): boolean {
    return this.running + this.waiting.length >= this.capacity + this.maxQueue;
  }

  /** Jobs waiting to be taken. */
  get length(): number {
    return this.waiting.length;
  }

  stats(): QueueStats {
    return { running: this.running, waiting: this.waiting.length, capacity: this.capacity, maxQueue: this.maxQueue };
  }

  /** Seconds until a slot is likely free: the backlog's expected drain time, at least 1. */
  retryAfter(): number {
    return Math.max(1, Math.ceil(((this.waiting.length + 1) * this.avgMs) / this.capacity / 1000));
  }

  admit(): void {
    if (this.full) throw new QueueFullError(this.retryAfter());
  }

  /**
   * Puts a job in line; settles with what its executor answers. Rejects with QueueFullError
   * when the line is full and with signal.reason when the caller gives up.
   */
  add(job: J, signal?: AbortSignal): Promise<R> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.full) return Promise.reject(new QueueFullError(this.retryAfter()));
    return new Promise<R>((resolve, reject) => {
      const entry: Entry<J, R> = { job, resolve, reject, signal };
      if (signal) {
        entry.onAbort = () => {
          const i = this.waiting.indexOf(entry);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(signal.reason); // running: the executor's answer, when it comes, goes nowhere
        };
        signal.addEventListener('abort', entry.onAbort, { once: true });
      }
      this.waiting.push(entry);
    });
  }

  /**
   * For an idle executor: the first waiting job and, if it has a key, the later ones with the
   * same key while their sizes fit in maxSize. Empty when nothing waits or `capacity` jobs run.
   */
  take(maxSize: number): Ticket<J, R>[] {
    if (!this.waiting.length || this.running >= this.capacity) return [];
    const first = this.waiting.shift()!;
    const group = [first];
    let size = first.job.size;
    const key = first.job.key;
    for (let i = 0; key !== undefined && i < this.waiting.length && size < maxSize && this.running + group.length < this.capacity; ) {
      const e = this.waiting[i];
      if (e.job.key === key && size + e.job.size <= maxSize) {
        group.push(e);
        size += e.job.size;
        this.waiting.splice(i, 1);
      } else i++;
    }
    return group.map((e) => this.start(e));
  }

  /** Fails every waiting job (shutdown). Running ones are settled by their executors. */
  clear(err: Error): void {
    for (const e of this.waiting.splice(0)) {
      e.signal?.removeEventListener('abort', e.onAbort!);
      e.reject(err);
    }
  }

  private start(e: Entry<J, R>): Ticket<J, R> {
    this.running++;
    const t0 = performance.now();
    let settled = false;
    const settle = (ok: boolean, finish: () => void) => {
      if (settled) return;
      settled = true;
      e.signal?.removeEventListener('abort', e.onAbort!);
      if (ok) this.completed.ok++;
      else this.completed.failed++;
      this.avgMs = 0.8 * this.avgMs + 0.2 * (performance.now() - t0);
      this.running--;
      finish();
      this.onFree();
    };
    return {
      job: e.job,
      get abandoned() { return e.signal?.aborted ?? false; },
      resolve: (value) => settle(true, () => e.resolve(value)),
      reject: (err) => settle(false, () => e.reject(err)),
    };
  }
}
