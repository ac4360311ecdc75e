// An executor in a worker thread holding its own Captioner (inference-worker.ts; messages in
// protocol.ts). Jobs cross the thread boundary with their pixel data transferred, not copied.
//
// Failure handling: a worker that dies (uncaught error, out of memory, killed) fails the job it
// was running with WorkerCrashedError (→ 503) and is started again; jobs not yet sent to it wait
// in the engine's line. A job running longer than jobTimeoutMs gets its worker terminated (the
// only way to stop synchronous work) and fails with WorkerTimeoutError (→ 503).
import { Worker } from 'node:worker_threads';
import type { PreparedImage } from '../encoder/preprocess.ts';
import type { DrawOptions } from '../render/types.ts';
import type { CaptionPart } from '../pipeline/captioner.ts';
import type { CaptionedImage, OverlayOutput } from '../service/engine.ts';
import { WorkerCrashedError, WorkerTimeoutError } from '../service/errors.ts';
import type { Executor } from './executor.ts';
import { fromWireError, toWire, transferable, type JobReply, type TensorStats, type WorkerInit, type WorkerReply, type WorkerRequest } from './protocol.ts';
import type { DecodingPlan, ModelsInfo, WorkerStats } from '../service/schemas.ts';

export interface WorkerExecutorOptions {
  /** A job running longer than this terminates its worker (→ WorkerTimeoutError). Default: none. */
  jobTimeoutMs?: number;
  log: (msg: string) => void;
  /** The module whose serve() the thread runs (default inference-worker; tests wrap it). */
  module?: URL;
}

type Done = Exclude<JobReply, { kind: 'error' }>;

/** The job running in the worker: where its reply and words go. */
interface Running {
  id: number;
  resolve: (reply: Done) => void;
  reject: (err: Error) => void;
  parts?: CaptionPart[];
  timer?: NodeJS.Timeout;
}

const RESTART_BACKOFF_MS = [0, 500, 1000, 2000, 5000, 10_000, 30_000];
const fromSource = import.meta.url.endsWith('.ts');
const DEFAULT_MODULE = new URL(fromSource ? './inference-worker.ts' : './inference-worker.js', import.meta.url);

export class WorkerExecutor implements Executor {
  onReady?: () => void;
  private worker?: Worker;
  private state: WorkerStats['state'] = 'starting';
  private jobs = 0;
  private restarts = 0;
  private tensors: TensorStats = { numTensors: 0, numBytes: 0, heapUsed: 0 };
  private current?: Running;
  private nextId = 1;
  private failures = 0; // consecutive failed starts
  private killedFor?: Error; // why we terminated the worker ourselves
  private wasUp = false; // a worker that never loaded its model is not restarted (start() fails)

  constructor(readonly id: number, private readonly init: WorkerInit, private readonly opts: WorkerExecutorOptions) {}

  get ready(): boolean {
    return this.state === 'idle' && !this.current;
  }

  /** The running thread (tests make it fail the way a bug would). */
  get thread(): Worker | undefined {
    return this.worker;
  }

  /** Starts the worker; resolves with the model description once it is loaded. */
  start(): Promise<ModelsInfo> {
    const entry = (this.opts.module ?? DEFAULT_MODULE).href;
    // From TypeScript sources the worker needs tsx's loader registered before it imports the
    // entry point (a worker does not inherit it); see src/train/workers.ts.
    const load = fromSource ? `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })` : `import(${JSON.stringify(entry)})`;
    const worker = new Worker(`${load}.then((m) => m.serve())`, { eval: true, workerData: this.init, name: `captioner-${this.id}` });
    this.worker = worker;
    this.state = 'starting';
    this.killedFor = undefined;
    return new Promise<ModelsInfo>((resolve, reject) => {
      let started = false;
      worker.on('message', (m: WorkerReply) => {
        switch (m.kind) {
          case 'log': this.opts.log(m.message); break;
          case 'ready':
            started = true;
            this.wasUp = true;
            this.failures = 0;
            this.tensors = m.stats;
            this.state = 'idle';
            resolve(m.info);
            this.onReady?.();
            break;
          case 'failed': reject(fromWireError(m.error)); break;
          case 'word': this.word(m); break;
          case 'captioned':
          case 'drawn':
          case 'error': this.finish(m); break;
        }
      });
      worker.on('error', (err) => {
        if (!started) reject(err);
        else this.opts.log(`WARNING: inference worker ${this.id} failed: ${err.message}`);
      });
      worker.on('exit', (code) => {
        if (this.worker !== worker) return;
        this.worker = undefined;
        if (!started) reject(new Error(`inference worker ${this.id} exited (code ${code}) while loading the model`));
        this.onExit(code, started);
      });
    });
  }

  async captionParts(parts: CaptionPart[]): Promise<CaptionedImage[][]> {
    const images = parts.flatMap((p) => p.images);
    const msg = (id: number): WorkerRequest => ({ kind: 'caption', id, parts: parts.map((p) => ({ images: p.images.map((im) => toWire(im, false)), plan: p.plan, words: Boolean(p.onWord) })) });
    const reply = await this.send(msg, transferable(images.flatMap((im) => [im.tensor, im.fine])), parts);
    if (reply.kind !== 'captioned') throw new Error(`inference worker answered a caption job with '${reply.kind}'`);
    // The results come back with the caller's own prepared images.
    return reply.parts.map((captioned, p) => captioned.map((c, i) => ({ ...c, prepared: parts[p].images[i] })));
  }

  async overlay(prepared: PreparedImage, plan: DecodingPlan, draw: DrawOptions): Promise<OverlayOutput> {
    const reply = await this.send((id) => ({ kind: 'overlay', id, image: toWire(prepared, true), plan, draw }), transferable([prepared.tensor, prepared.pixels?.rgb, prepared.fine]));
    if (reply.kind !== 'drawn') throw new Error(`inference worker answered an overlay job with '${reply.kind}'`);
    return { image: Buffer.from(reply.image.buffer, reply.image.byteOffset, reply.image.byteLength), caption: reply.caption, words: reply.words };
  }

  stats(): WorkerStats {
    return { id: this.id, state: this.state, jobs: this.jobs, restarts: this.restarts, ...this.tensors };
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    const w = this.worker;
    this.worker = undefined;
    this.failCurrent(new WorkerCrashedError('the captioner is shutting down'));
    await w?.terminate();
  }

  private send(msg: (id: number) => WorkerRequest, transfer: ArrayBuffer[], parts?: CaptionPart[]): Promise<Done> {
    if (!this.worker || this.current) return Promise.reject(new WorkerCrashedError(`inference worker ${this.id} cannot take a job now`));
    const id = this.nextId++;
    return new Promise<Done>((resolve, reject) => {
      this.current = { id, resolve, reject, parts };
      this.state = 'busy';
      const timeout = this.opts.jobTimeoutMs;
      if (timeout) {
        this.current.timer = setTimeout(() => {
          this.killedFor = new WorkerTimeoutError(`inference took longer than ${timeout} ms; its worker was restarted`);
          void this.worker?.terminate();
        }, timeout);
      }
      this.worker!.postMessage(msg(id), transfer);
    });
  }

  /** Forwards a streamed word of the running job (late words of a lost job are dropped). */
  private word(m: Extract<WorkerReply, { kind: 'word' }>): void {
    const cur = this.current;
    const onWord = cur?.id === m.id ? cur.parts?.[m.part]?.onWord : undefined;
    if (!onWord) return;
    try {
      onWord(m.image, m.token);
    } catch (err) {
      this.opts.log(`WARNING: a word listener failed: ${(err as Error).message}`);
    }
  }

  private finish(m: JobReply): void {
    const cur = this.current;
    if (!cur || cur.id !== m.id) return;
    clearTimeout(cur.timer);
    this.current = undefined;
    this.tensors = m.stats;
    this.jobs++;
    this.state = 'idle';
    if (m.kind === 'error') cur.reject(fromWireError(m.error));
    else cur.resolve(m);
  }

  private failCurrent(err: Error): void {
    const cur = this.current;
    this.current = undefined;
    if (!cur) return;
    clearTimeout(cur.timer);
    cur.reject(err);
  }

  private onExit(code: number, started: boolean): void {
    if (this.state === 'stopped' || !this.wasUp) return;
    const why = this.killedFor ?? new WorkerCrashedError(`the inference worker stopped unexpectedly (exit code ${code}); it is being restarted, retry the request`);
    this.failCurrent(why);
    this.state = 'restarting';
    if (!started) this.failures++;
    const delay = RESTART_BACKOFF_MS[Math.min(this.failures, RESTART_BACKOFF_MS.length - 1)];
    this.opts.log(`WARNING: inference worker ${this.id} exited (code ${code}${this.killedFor ? `, ${this.killedFor.message}` : ''}); restarting in ${delay} ms`);
    const timer = setTimeout(() => {
      if (this.state === 'stopped') return;
      this.restarts++;
      this.start().catch((err) => this.opts.log(`WARNING: inference worker ${this.id} failed to restart: ${(err as Error).message}`));
    }, delay);
    timer.unref();
  }
}
