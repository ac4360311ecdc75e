import { Worker } from 'node:worker_threads';
import type { SampleReply, SampleRequest, StepRequest, WorkerInit, WorkerReply } from './protocol.ts';
import type { GradStats } from './bptt.ts';

/** A gradient worker thread with a promise-based step(). */
export class GradWorker {
  private pending?: { resolve: (m: WorkerReply) => void; reject: (e: Error) => void };
  private constructor(private readonly worker: Worker, readonly backend: string) {
    worker.on('message', (m: WorkerReply) => {
      const p = this.pending;
      this.pending = undefined;
      if (m.kind === 'error') p?.reject(new Error(`training worker: ${m.message}`));
      else p?.resolve(m);
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

  private request(msg: StepRequest | SampleRequest): Promise<WorkerReply> {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage(msg);
    });
  }

  async step(req: Omit<StepRequest, 'kind'>): Promise<GradStats> {
    const m = await this.request({ kind: 'step', ...req });
    if (m.kind !== 'done') throw new Error(`training worker: unexpected reply ${m.kind}`);
    return m.stats;
  }

  async sample(req: Omit<SampleRequest, 'kind'>): Promise<SampleReply> {
    const m = await this.request({ kind: 'sample', ...req });
    if (m.kind !== 'samples') throw new Error(`training worker: unexpected reply ${m.kind}`);
    return m;
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}
