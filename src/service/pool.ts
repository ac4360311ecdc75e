// The captioner off the event loop: a pool of worker threads, each holding its own Captioner
// (inference-worker.ts; the messages between them are in protocol.ts).
//
// Why: word decoding (tfjs, wasm backend in Node) is synchronous JavaScript. In-process, one
// request decoding froze the whole server, /healthz included, for the length of the decode.
// Here the HTTP thread only parses uploads and decodes images with sharp (libuv's pool, not the
// event loop); encoding, decoding words and rendering overlays happen in the workers.
//
// Memory: every worker loads the whole model (ONNX encoder session + the decoders: ORT sessions
// holding prepacked float32 weights, or tfjs tensors + wasm heap + its own V8 isolate and native
// addons). With tfjs-wasm that was about 210 MB resident per worker (1 worker 429 MB, 2 workers
// 641 MB with a 2541-word decoder); with ort about 150 MB per worker (docs/architecture.md "Memory").
// MAX_CONCURRENT is the number of workers; more than one per free core only makes every request
// slower.
//
// The line: every caption and overlay job waits in one JobQueue (queue.ts), which admits or
// refuses it (capacity = workers × maxBatch running, maxQueue waiting) and drops it when its
// caller gives up. An idle worker takes the front of the line.
//
// Batching across requests: caption jobs waiting for a worker whose options share a batchKey
// (same search: attention, beam size, max length, length penalty; no random draws) and whose
// images are already decoded go to one worker as one job, up to maxBatch images; the worker
// encodes them in one run and decodes all their beams as rows of the same decoder steps. Each
// request gets exactly the answer it would get alone. When a worker is idle, a new job waits
// batchWindowMs for company before it is sent.
//
// Failure handling: a worker that dies (uncaught error, out of memory, killed) fails the job it
// was running with WorkerCrashedError (→ 503) and is started again; jobs not yet sent to a
// worker wait for it. A job running longer than jobTimeoutMs gets its worker terminated (the
// only way to stop synchronous work) and fails with WorkerTimeoutError (→ 503).
import { Worker } from 'node:worker_threads';
import { prepareImage, type PreparedImage, type PrepareOptions } from '../encoder/preprocess.ts';
import { batchKey, type CaptionerOptions, type OnPartWord } from './captioner.ts';
import type { CaptionedImage, CaptionEngine, OnWord, RunOptions } from './engine.ts';
import { WorkerCrashedError, WorkerTimeoutError } from './errors.ts';
import type { DrawOptions } from '../render/types.ts';
import type { OverlayOutput } from './overlay.ts';
import { JobQueue, type Queueable, type Ticket } from './queue.ts';
import { fromWire, fromWireError, toWire, type JobReply, type TensorStats, type WireCaptioned, type WireImage, type WirePrepared, type WorkerInit, type WirePart, type WorkerReply, type WorkerRequest } from './protocol.ts';
import type { CaptionOptions, ModelsInfo, WorkerStats } from './schemas.ts';
import type { Attention } from '../model/config.ts';

export interface WorkerCaptionerOptions extends Omit<CaptionerOptions, 'log'> {
  /** Number of worker threads (each with its own model copy). Default 1. */
  workers?: number;
  /** A job running longer than this terminates its worker (→ WorkerTimeoutError). Default: none. */
  jobTimeoutMs?: number;
  /** Most images in one batched caption job (default 8; 1 = no batching across requests). */
  maxBatch?: number;
  /** Requests that may wait beyond workers × maxBatch running; more are refused (default: no limit). */
  maxQueue?: number;
  /** An idle worker waits this long for more jobs to batch with a new one (default 0). */
  batchWindowMs?: number;
  log?: (msg: string) => void;
  testHooks?: boolean;
}

type Done = Exclude<JobReply, { kind: 'error' }>;
type Drawn = Extract<Done, { kind: 'drawn' }>;

/** What a worker runs: one message, and where its reply goes. */
interface Job {
  request: (id: number) => { msg: WorkerRequest; transfer: ArrayBuffer[] };
  resolve: (reply: Done) => void;
  reject: (err: Error) => void;
  onWord?: OnPartWord;
}

/** A request in the line: captions (batchable with others of the same key) or an overlay. */
type PoolJob = Queueable & (
  | { kind: 'caption'; part: WirePart; transfer: ArrayBuffer[]; onWord?: OnWord }
  | { kind: 'overlay'; image: WirePrepared; options: CaptionOptions; draw: DrawOptions }
);
type PoolAnswer = WireCaptioned[] | Drawn;
type PoolTicket = Ticket<PoolJob, PoolAnswer>;

/** One worker job for the requests taken together: caption parts fanned out to each, or one overlay. */
function workerJob(group: PoolTicket[]): Job {
  const [first] = group;
  if (first.job.kind === 'overlay') {
    const { image, options, draw } = first.job;
    return {
      request: (id) => ({ msg: { kind: 'overlay', id, image, options, draw }, transfer: [] }),
      resolve: (reply) => {
        if (reply.kind !== 'drawn') throw new Error(`inference worker answered an overlay job with '${reply.kind}'`);
        first.resolve(reply);
      },
      reject: (err) => first.reject(err),
    };
  }
  const jobs = group.map((g) => g.job as Extract<PoolJob, { kind: 'caption' }>);
  return {
    request: (id) => ({ msg: { kind: 'caption', id, parts: jobs.map((j) => j.part) }, transfer: jobs.flatMap((j) => j.transfer) }),
    resolve: (reply) => {
      if (reply.kind !== 'captioned') throw new Error(`inference worker answered a caption job with '${reply.kind}'`);
      reply.parts.forEach((captioned, i) => group[i].resolve(captioned));
    },
    reject: (err) => group.forEach((g) => g.reject(err)),
    // A caller that gave up gets no more words (its stream is gone).
    onWord: jobs.some((j) => j.onWord) ? (part, image, token) => { if (!group[part].abandoned) jobs[part].onWord?.(image, token); } : undefined,
  };
}

/** A copy of the bytes in an ArrayBuffer of their own, to transfer (the caller keeps its Buffer). */
function ownBuffer(b: Uint8Array): ArrayBuffer {
  const copy = new ArrayBuffer(b.byteLength);
  new Uint8Array(copy).set(b);
  return copy;
}

const RESTART_BACKOFF_MS = [0, 500, 1000, 2000, 5000, 10_000, 30_000];

class Slot {
  worker?: Worker;
  state: WorkerStats['state'] = 'starting';
  jobs = 0;
  restarts = 0;
  stats: TensorStats = { numTensors: 0, numBytes: 0, heapUsed: 0 };
  private current?: { id: number; job: Job; timer?: NodeJS.Timeout };
  private nextId = 1;
  private failures = 0; // consecutive failed starts
  private killedFor?: Error; // why we terminated the worker ourselves
  private wasUp = false; // a slot that never loaded its model is not restarted (start() fails)

  constructor(readonly id: number, private readonly pool: WorkerCaptioner) {}

  /** Starts the worker; resolves with the model description once it is loaded. */
  start(): Promise<ModelsInfo> {
    const init = this.pool.init;
    const fromSource = import.meta.url.endsWith('.ts');
    const url = new URL(fromSource ? './inference-worker.ts' : './inference-worker.js', import.meta.url);
    // From TypeScript sources the worker needs tsx's loader registered before it imports the
    // entry point (a worker does not inherit it); see src/train/workers.ts.
    const worker = fromSource
      ? new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`, { eval: true, workerData: init, name: `captioner-${this.id}` })
      : new Worker(url, { workerData: init, name: `captioner-${this.id}` });
    this.worker = worker;
    this.state = 'starting';
    this.killedFor = undefined;
    return new Promise<ModelsInfo>((resolve, reject) => {
      let started = false;
      worker.on('message', (m: WorkerReply) => {
        switch (m.kind) {
          case 'log': this.pool.log(m.message); break;
          case 'ready':
            started = true;
            this.wasUp = true;
            this.failures = 0;
            this.stats = m.stats;
            this.state = 'idle';
            resolve(m.info);
            this.pool.dispatch();
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
        else this.pool.log(`WARNING: inference worker ${this.id} failed: ${err.message}`);
      });
      worker.on('exit', (code) => {
        if (this.worker !== worker) return;
        this.worker = undefined;
        if (!started) reject(new Error(`inference worker ${this.id} exited (code ${code}) while loading the model`));
        this.onExit(code, started);
      });
    });
  }

  get idle(): boolean {
    return this.state === 'idle' && !this.current;
  }

  run(job: Job): void {
    const id = this.nextId++;
    const { msg, transfer } = job.request(id);
    this.state = 'busy';
    this.current = { id, job };
    const timeout = this.pool.jobTimeoutMs;
    if (timeout) {
      this.current.timer = setTimeout(() => {
        this.killedFor = new WorkerTimeoutError(`inference took longer than ${timeout} ms; its worker was restarted`);
        void this.worker?.terminate();
      }, timeout);
    }
    this.worker!.postMessage(msg, transfer);
  }

  /** Tests: make the worker die the way a bug would ('kill' is immediate, even mid-job). */
  crash(how: 'throw' | 'exit' | 'kill'): void {
    if (how === 'kill') void this.worker?.terminate();
    else this.worker?.postMessage({ kind: 'crash', how } satisfies WorkerRequest);
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    const w = this.worker;
    this.worker = undefined;
    this.failCurrent(new WorkerCrashedError('the captioner is shutting down'));
    await w?.terminate();
  }

  /** Forwards a streamed word of the running job (late words of a lost job are dropped). */
  private word(m: Extract<WorkerReply, { kind: 'word' }>): void {
    const cur = this.current;
    if (!cur || cur.id !== m.id || !cur.job.onWord) return;
    try {
      cur.job.onWord(m.part, m.image, m.token);
    } catch (err) {
      this.pool.log(`WARNING: a word listener failed: ${(err as Error).message}`);
    }
  }

  private finish(m: JobReply): void {
    const cur = this.current;
    if (!cur || cur.id !== m.id) return;
    clearTimeout(cur.timer);
    this.current = undefined;
    this.stats = m.stats;
    this.jobs++;
    this.state = 'idle';
    if (m.kind === 'error') cur.job.reject(fromWireError(m.error));
    else {
      try {
        cur.job.resolve(m);
      } catch (err) {
        cur.job.reject(err as Error);
      }
    }
    this.pool.dispatch();
  }

  private failCurrent(err: Error): void {
    const cur = this.current;
    this.current = undefined;
    if (!cur) return;
    clearTimeout(cur.timer);
    cur.job.reject(err);
  }

  private onExit(code: number, started: boolean): void {
    if (this.state === 'stopped' || !this.wasUp) return;
    const why = this.killedFor ?? new WorkerCrashedError(`the inference worker stopped unexpectedly (exit code ${code}); it is being restarted, retry the request`);
    this.failCurrent(why);
    this.state = 'restarting';
    if (!started) this.failures++;
    const delay = RESTART_BACKOFF_MS[Math.min(this.failures, RESTART_BACKOFF_MS.length - 1)];
    this.pool.log(`WARNING: inference worker ${this.id} exited (code ${code}${this.killedFor ? `, ${this.killedFor.message}` : ''}); restarting in ${delay} ms`);
    const timer = setTimeout(() => {
      if (this.state === 'stopped') return;
      this.restarts++;
      this.start().catch((err) => this.pool.log(`WARNING: inference worker ${this.id} failed to restart: ${(err as Error).message}`));
    }, delay);
    timer.unref();
  }

  snapshot(): WorkerStats {
    return { id: this.id, state: this.state, jobs: this.jobs, restarts: this.restarts, ...this.stats };
  }
}

/**
 * The Captioner's interface over `workers` threads. prepare() stays on this thread (sharp works
 * in libuv's pool, so it does not block the event loop, and bad uploads fail without waiting for
 * a worker); caption() and overlay() go to the first idle worker, or wait in FIFO order.
 */
export class WorkerCaptioner implements CaptionEngine {
  private readonly slots: Slot[];
  readonly queue: JobQueue<PoolJob, PoolAnswer>;
  private windowTimer?: NodeJS.Timeout;
  private readonly batches = { jobs: 0, requests: 0, images: 0 };
  readonly maxBatch: number;
  readonly batchWindowMs: number;
  private modelsInfo!: ModelsInfo;
  private disposed = false;
  readonly init: WorkerInit;
  readonly jobTimeoutMs?: number;
  readonly log: (msg: string) => void;

  private constructor(private readonly opts: WorkerCaptionerOptions) {
    this.init = { modelsDir: opts.modelsDir, allowDownload: opts.allowDownload, maxPixels: opts.maxPixels, runtime: opts.runtime, intraOpThreads: opts.intraOpThreads, testHooks: opts.testHooks };
    this.maxBatch = Math.max(1, opts.maxBatch ?? 8);
    this.batchWindowMs = Math.max(0, opts.batchWindowMs ?? 0);
    this.jobTimeoutMs = opts.jobTimeoutMs;
    this.log = opts.log ?? (() => {});
    this.slots = Array.from({ length: Math.max(1, opts.workers ?? 1) }, (_, i) => new Slot(i, this));
    this.queue = new JobQueue(this.slots.length * this.maxBatch, opts.maxQueue ?? Infinity, () => this.dispatch());
  }

  /** Starts every worker; rejects (and stops the others) if any fails to load the model. */
  static async start(opts: WorkerCaptionerOptions): Promise<WorkerCaptioner> {
    const pool = new WorkerCaptioner(opts);
    try {
      // The first loads alone: it may download the encoder, which the others then find on disk.
      pool.modelsInfo = await pool.slots[0].start();
      await Promise.all(pool.slots.slice(1).map((s) => s.start()));
    } catch (err) {
      await pool.dispose();
      throw err;
    }
    return pool;
  }

  info(): ModelsInfo {
    return this.modelsInfo;
  }

  has(kind: Attention): boolean {
    return this.modelsInfo.decoders.some((d) => d.attention === kind);
  }

  prepare(image: Buffer, opts: Pick<PrepareOptions, 'pixels'> = {}): Promise<PreparedImage> {
    return prepareImage(image, this.modelsInfo.encoder.inputSize, { maxPixels: this.opts.maxPixels, pixels: opts.pixels });
  }

  /**
   * Buffers are sent as transferred copies and decoded in the worker, which sends back the
   * prepared image (RGB for overlays) with the result; prepared images are sent as their
   * tensor only and come back as the caller's own objects. `onWord` gets the words the worker
   * posts while it decodes, on this thread, before the promise resolves.
   */
  async caption(images: (Buffer | PreparedImage)[], o: CaptionOptions, run: RunOptions = {}): Promise<CaptionedImage[]> {
    const { onWord, signal } = run;
    const transfer: ArrayBuffer[] = [];
    const wire = images.map((im): WireImage => {
      if (!Buffer.isBuffer(im)) return { kind: 'prepared', ...toWire(im, false) };
      const data = ownBuffer(im);
      transfer.push(data);
      return { kind: 'bytes', data };
    });
    // Uploaded bytes are decoded in the worker, where a bad one would fail every request of a batch.
    const key = images.every((im) => !Buffer.isBuffer(im)) ? batchKey(o) : undefined;
    const part: WirePart = { images: wire, options: o, words: Boolean(onWord) };
    const out = await this.submit({ kind: 'caption', key, size: images.length, part, transfer, onWord }, signal) as WireCaptioned[];
    return out.map((c, i) => {
      const given = images[i];
      return { result: c.result, hypothesis: c.hypothesis, prepared: Buffer.isBuffer(given) ? fromWire(c.prepared!) : given };
    });
  }

  async overlay(prepared: PreparedImage, o: CaptionOptions, draw: DrawOptions, run: Pick<RunOptions, 'signal'> = {}): Promise<OverlayOutput> {
    const out = await this.submit({ kind: 'overlay', size: 1, image: toWire(prepared, true), options: o, draw }, run.signal) as Drawn;
    return { image: Buffer.from(out.image.buffer, out.image.byteOffset, out.image.byteLength), caption: out.caption, words: out.words };
  }

  /** Caption jobs sent to workers, the requests and images in them (requests > jobs: batching happened). */
  batchStats(): { jobs: number; requests: number; images: number } {
    return { ...this.batches };
  }

  workerStats(): WorkerStats[] {
    return this.slots.map((s) => s.snapshot());
  }

  available(): boolean {
    return !this.disposed && this.slots.some((s) => s.state === 'idle' || s.state === 'busy');
  }

  /** Tests only (needs testHooks): make worker `i` fail like a bug would. */
  crashWorker(i = 0, how: 'throw' | 'exit' | 'kill' = 'kill'): void {
    this.slots[i].crash(how);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    clearTimeout(this.windowTimer);
    this.queue.clear(new WorkerCrashedError('the captioner is shutting down'));
    await Promise.all(this.slots.map((s) => s.stop()));
  }

  private submit(job: PoolJob, signal?: AbortSignal): Promise<PoolAnswer> {
    if (this.disposed) return Promise.reject(new WorkerCrashedError('the captioner is shutting down'));
    const answer = this.queue.add(job, signal);
    // An idle worker would take this job alone at once: give concurrent requests a moment to join it.
    if (job.key !== undefined && this.batchWindowMs > 0 && this.maxBatch > 1 && this.slots.some((s) => s.idle)) {
      this.windowTimer ??= setTimeout(() => {
        this.windowTimer = undefined;
        this.dispatch();
      }, this.batchWindowMs);
    } else this.dispatch();
    return answer;
  }

  /** Hands the front of the line to idle workers (on submit, job end and worker start), batching caption jobs. */
  dispatch(): void {
    for (const slot of this.slots) {
      if (!this.queue.length) return;
      if (!slot.idle) continue;
      const group = this.queue.take(this.maxBatch);
      if (!group.length) return;
      if (group[0].job.kind === 'caption') {
        this.batches.jobs++;
        this.batches.requests += group.length;
        this.batches.images += group.reduce((n, g) => n + g.job.size, 0);
      }
      slot.run(workerJob(group));
    }
  }
}
