// Test executors: wrappers around the engine's real executors that tests drive. A held executor
// takes jobs but starts none until released (a full line on demand); a worker executor started
// from crashing-worker.ts can be made to fail the way a bug would.
import type { PreparedImage } from '../../src/encoder/preprocess.ts';
import type { DrawOptions } from '../../src/render/types.ts';
import type { CaptionPart } from '../../src/pipeline/captioner.ts';
import type { CaptionEngine } from '../../src/service/engine.ts';
import type { Executor } from '../../src/engine/executor.ts';
import { parsePlan } from '../../src/service/options.ts';
import type { DecodingPlan, WorkerStats } from '../../src/service/schemas.ts';
import type { WorkerExecutor } from '../../src/engine/worker-executor.ts';

/** The module a crashable worker thread runs (its serve() also answers 'crash' messages). */
export const CRASHING_WORKER = new URL('./crashing-worker.ts', import.meta.url);

export type CrashHow = 'throw' | 'exit' | 'kill';

export class TestExecutor implements Executor {
  private gate?: Promise<void>;

  constructor(readonly inner: Executor) {}

  get ready(): boolean {
    return this.inner.ready;
  }

  set onReady(f: (() => void) | undefined) {
    this.inner.onReady = f;
  }

  /** Jobs taken from now on wait (holding their running slots) until the returned function is called. */
  hold(): () => void {
    let open!: () => void;
    const gate = new Promise<void>((r) => { open = r; });
    this.gate = gate;
    return () => {
      if (this.gate === gate) this.gate = undefined;
      open();
    };
  }

  /** Makes the worker thread fail like a bug would ('kill' is immediate, even mid-job); needs CRASHING_WORKER. */
  crash(how: CrashHow = 'kill'): void {
    const thread = (this.inner as WorkerExecutor).thread;
    if (!thread) throw new Error('crash: not a running worker executor');
    if (how === 'kill') void thread.terminate();
    else thread.postMessage({ kind: 'crash', how });
  }

  async captionParts(parts: CaptionPart[]) {
    await this.gate;
    return this.inner.captionParts(parts);
  }

  async overlay(prepared: PreparedImage, plan: DecodingPlan, draw: DrawOptions) {
    await this.gate;
    return this.inner.overlay(prepared, plan, draw);
  }

  stats(): WorkerStats {
    return this.inner.stats();
  }

  stop(): Promise<void> {
    return this.inner.stop();
  }
}

/**
 * Takes `n` places in the engine's line (running first, then waiting) with jobs its held
 * executors do not start: a full line on demand. The returned function lets them run and
 * resolves when they are done.
 */
export async function occupy(engine: CaptionEngine, executors: TestExecutor[], image: Buffer, n = 1): Promise<() => Promise<void>> {
  const releases = executors.map((e) => e.hold());
  const images = await Promise.all(Array.from({ length: n }, () => engine.prepare(image)));
  const plan = parsePlan({ beamSize: 1, maxLength: 2, includeMaps: false });
  const jobs = images.map((im) => engine.caption([im], plan));
  // The engine hands them out on a later turn (after its batch window, if it has one).
  const t0 = Date.now();
  while (engine.queue.stats().running < Math.min(n, engine.queue.capacity) && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 5));
  return async () => {
    releases.forEach((release) => release());
    await Promise.allSettled(jobs);
  };
}
