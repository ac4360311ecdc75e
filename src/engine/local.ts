// The engine on the calling thread: one Captioner as the only executor behind the same line as
// the worker pool. Decoding blocks this thread while it runs, so a server uses the pool
// (pool.ts); tests use this to drive the HTTP app without worker threads, and get the same
// admission, batching and abort behaviour.
import type { PreparedImage } from '../encoder/preprocess.ts';
import type { DrawOptions } from '../render/types.ts';
import type { Captioner, CaptionPart } from '../pipeline/captioner.ts';
import type { CaptionedImage, OverlayOutput } from '../service/engine.ts';
import { Engine } from './engine.ts';
import type { Executor } from './executor.ts';
import type { DecodingPlan, WorkerStats } from '../service/schemas.ts';

/** Runs jobs on this thread with a Captioner (which stays the caller's: stop() leaves it loaded). */
export class InThreadExecutor implements Executor {
  readonly ready = true;
  private jobs = 0;

  constructor(readonly captioner: Captioner) {}

  async captionParts(parts: CaptionPart[]): Promise<CaptionedImage[][]> {
    try {
      return await this.captioner.captionParts(parts);
    } finally {
      this.jobs++;
    }
  }

  async overlay(prepared: PreparedImage, plan: DecodingPlan, draw: DrawOptions): Promise<OverlayOutput> {
    try {
      return await this.captioner.overlay(prepared, plan, draw);
    } finally {
      this.jobs++;
    }
  }

  stats(): WorkerStats {
    return { id: 0, state: 'in-process', jobs: this.jobs, restarts: 0, ...this.captioner.memory() };
  }

  async stop(): Promise<void> {}
}

export interface LocalEngineOptions {
  /** Most images decoded together across concurrent requests (default 8). */
  maxBatch?: number;
  /** Requests that may wait beyond the running batch (default 16, as the server's MAX_QUEUE). */
  maxQueue?: number;
}

/** The engine with one in-thread executor over `captioner`. */
export class LocalEngine extends Engine {
  constructor(readonly captioner: Captioner, opts: LocalEngineOptions = {}) {
    super([new InThreadExecutor(captioner)], captioner.info(), { maxBatch: opts.maxBatch, maxQueue: opts.maxQueue ?? 16, maxPixels: captioner.maxPixels });
  }
}
