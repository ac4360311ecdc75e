// Bounded FIFO in front of the captioner: inference is CPU-bound, so running more than a
// core's worth at once only makes every request slower; waiting beyond a limit is refused.
import type { QueueStats } from './schemas.ts';

export class QueueFullError extends Error {
  override name = 'QueueFullError';
  constructor(readonly retryAfterSeconds: number) {
    super('the server is busy: too many captioning requests are waiting, retry later');
  }
}

interface Waiter {
  start: () => void;
}

export class InferenceQueue {
  private running = 0;
  private readonly waiting: Waiter[] = [];
  private avgMs = 1000; // smoothed job duration, for Retry-After
  readonly completed = { ok: 0, failed: 0 };

  constructor(readonly capacity: number, readonly maxQueue: number) {
    if (!(capacity >= 1)) throw new RangeError('queue capacity must be at least 1');
    if (!(maxQueue >= 0)) throw new RangeError('maxQueue must be at least 0');
  }

  /** True when a new job would be refused right now. */
  get full(): boolean {
    return this.running >= this.capacity && this.waiting.length >= this.maxQueue;
  }

  stats(): QueueStats {
    return { running: this.running, waiting: this.waiting.length, capacity: this.capacity, maxQueue: this.maxQueue };
  }

  /** Seconds until a slot is likely free: the backlog's expected drain time, at least 1. */
  retryAfter(): number {
    return Math.max(1, Math.ceil(((this.waiting.length + 1) * this.avgMs) / this.capacity / 1000));
  }

  /**
   * Runs fn when a slot is free. Rejects with QueueFullError when the line is full, and with
   * signal.reason when the caller gives up: a waiting job is dropped, a running one keeps its
   * slot until fn settles (CPU work cannot be interrupted) but the caller is released at once.
   */
  run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.full) return Promise.reject(new QueueFullError(this.retryAfter()));
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(signal!.reason);
      };
      const waiter: Waiter = {
        start: () => {
          this.running++;
          const t0 = performance.now();
          Promise.resolve().then(fn).then(
            (v) => { this.completed.ok++; resolve(v); },
            (e) => { this.completed.failed++; reject(e); },
          ).finally(() => {
            signal?.removeEventListener('abort', onAbort);
            this.avgMs = 0.8 * this.avgMs + 0.2 * (performance.now() - t0);
            this.running--;
            this.next();
          });
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
      this.next();
    });
  }

  private next(): void {
    while (this.running < this.capacity && this.waiting.length) this.waiting.shift()!.start();
  }
}
