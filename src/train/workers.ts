import { Worker } from 'node:worker_threads';
import type { StepRequest, WorkerInit, WorkerReply } from './protocol.ts';
import type { GradStats } from './gradients.ts';

/** A gradient worker thread with a promise-based step(). */
export class GradWorker {
  private pending?: { resolve: (s: GradStats) => void; reject: (e: Error) => void };
  private constructor(private readonly worker: Worker, readonly backend: string) {
    worker.on('message', (m: WorkerReply) => {
      const p = this.pending;
      this.pending = undefined;
      if (m.kind === 'done') p?.resolve(m.stats);
      else if (m.kind === 'error') p?.reject(new Error(`training worker: ${m.message}`));
    });
    worker.on('error', (e) => this.pending?.reject(e));
  }

  static start(init: WorkerInit): Promise<GradWorker> {
    const fromSource = import.meta.url.endsWith('.ts');
    const url = new URL(fromSource ? './worker.ts' : './worker.js', import.meta.url);
    // From TypeScript sources the worker needs tsx's loader registered before it imports worker.ts
    // (a worker does not inherit it, and --import in execArgv is not applied to .ts entry points).
    const worker = fromSource
      ? new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`, { eval: true, workerData: init })
      : new Worker(url, { workerData: init });
    return new Promise((resolve, reject) => {
      const onMessage = (m: WorkerReply) => {
        worker.off('error', reject);
        if (m.kind === 'ready') resolve(new GradWorker(worker, m.backend));
        else reject(new Error(m.kind === 'error' ? m.message : 'worker failed to start'));
      };
      worker.once('message', onMessage);
      worker.once('error', reject);
    });
  }

  step(req: Omit<StepRequest, 'kind'>): Promise<GradStats> {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage({ kind: 'step', ...req });
    });
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}
