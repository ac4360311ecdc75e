// The captioner off the event loop: a pool of worker threads, each holding its own Captioner.
//
// Why: word decoding (tfjs, wasm backend in Node) is synchronous JavaScript. In-process, one
// request decoding froze the whole server, /healthz included, for the length of the decode.
// Here the HTTP thread only parses uploads and decodes images with sharp (libuv's pool, not the
// event loop); encoding, decoding words and rendering overlays happen in the workers.
//
// Memory: every worker loads the whole model (ONNX encoder session + the decoders: ORT sessions
// holding prepacked float32 weights, or tfjs tensors + wasm heap + its own V8 isolate and native
// addons). With tfjs-wasm that was about 210 MB resident per worker (1 worker 429 MB, 2 workers
// 641 MB with a 2541-word decoder); see README "Memory" and bench:latency for the ort numbers.
// MAX_CONCURRENT is the number of workers; more than one per free core only makes every request
// slower.
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
import { EncoderFileError, ImageTooLargeError, UnsupportedImageError } from '../encoder/errors.ts';
import { prepareImage, type PreparedImage } from '../encoder/preprocess.ts';
import { renderOverlay, renderSheet } from '../render/index.ts';
import type { DrawOptions } from '../render/types.ts';
import { batchKey, ModelUnavailableError, type CaptionedImage, type CaptionerOptions, type OnPartWord, type OnWord } from './captioner.ts';
import type { CaptionOptions, ModelsInfo, Token } from './schemas.ts';

/** What the HTTP layer needs from a captioner; the in-process Captioner fits it too. */
export interface CaptionEngine {
  info(): ModelsInfo;
  has(kind: 'soft' | 'hard'): boolean;
  /** Decodes and checks one upload (throws UnsupportedImageError / ImageTooLargeError). */
  prepare(image: Buffer): Promise<PreparedImage>;
  /** `onWord`: each word as the decoder emits it (see Captioner.caption). */
  caption(images: (Buffer | PreparedImage)[], o: CaptionOptions, onWord?: OnWord): Promise<CaptionedImage[]>;
  dispose(): Promise<void>;
  /** Caption + render in one go (off the event loop when the engine has workers). */
  overlay?(prepared: PreparedImage, o: CaptionOptions, draw: DrawOptions): Promise<OverlayOutput>;
  /** Per-worker health and tfjs tensor counts, for /readyz and /metrics. */
  workerStats?(): WorkerStats[];
  /** False while no worker is able to take a job (all restarting). */
  available?(): boolean;
}

export interface OverlayOutput {
  image: Buffer;
  caption: string;
  words: number;
}

export interface WorkerStats {
  id: number;
  /** 'in-process': a plain Captioner on the HTTP thread (tests), not a worker. */
  state: 'starting' | 'idle' | 'busy' | 'restarting' | 'stopped' | 'in-process';
  jobs: number;
  restarts: number;
  /** tf.memory() inside the worker, after its latest job (a leak shows as steady growth). */
  numTensors: number;
  numBytes: number;
  /** The worker isolate's V8 heap in use, bytes. */
  heapUsed: number;
}

/** The worker running this job died; the job is lost, the worker restarts. Maps to 503. */
export class WorkerCrashedError extends Error {
  override name = 'WorkerCrashedError';
}

/** The job ran past jobTimeoutMs; its worker was terminated and restarts. Maps to 503. */
export class WorkerTimeoutError extends Error {
  override name = 'WorkerTimeoutError';
}

/** Overlay of word i when the caption has fewer words. Maps to 400. */
export class WordOutOfRangeError extends Error {
  override name = 'WordOutOfRangeError';
}

/**
 * Captions one prepared image and draws its attention; shared by the worker and in-process use.
 * Runs the same code in both, so the HTTP route does not care where it runs.
 */
export async function captionOverlay(captioner: Pick<CaptionEngine, 'caption'>, prepared: PreparedImage, o: CaptionOptions, draw: DrawOptions): Promise<OverlayOutput> {
  const opts = { ...o, includeMaps: true }; // the maps are the point here
  const [{ result }] = await captioner.caption([prepared], opts);
  const rgb = { rgb: prepared.rgb, width: prepared.rgbWidth, height: prepared.rgbHeight };
  const tokens = result.tokens.map((t) => ({ word: t.word, attention: t.attention ?? [], region: t.region?.index, logprob: t.logprob }));
  const out = { caption: result.caption, words: tokens.length };
  if (draw.word === undefined) {
    return { ...out, image: await renderSheet(rgb, tokens, { mode: opts.attention, panelSize: draw.panelSize, columns: draw.columns, format: draw.format, style: draw.style }) };
  }
  const index = typeof draw.word === 'number' ? draw.word : tokens.findIndex((x) => x.word === String(draw.word).trim().toLowerCase());
  const t = tokens[index];
  if (!t && typeof draw.word === 'string') throw new WordOutOfRangeError(`word: "${draw.word}" is not in the caption "${result.caption}"`);
  if (!t) throw new WordOutOfRangeError(`word: index ${draw.word} is out of range, the caption "${result.caption}" has ${tokens.length} word(s) (indices 0–${tokens.length - 1})`);
  return { ...out, image: await renderOverlay(rgb, t.attention, { mode: opts.attention, region: t.region, format: draw.format, style: draw.style }) };
}

// ---- protocol (shared with inference-worker.ts) ----

export interface WorkerInit {
  modelsDir: string;
  allowDownload?: boolean;
  maxPixels?: number;
  runtime?: CaptionerOptions['runtime'];
  intraOpThreads?: number;
  /** Enables the 'crash' message (tests only). */
  testHooks?: boolean;
}

/** An image as sent to a worker: raw upload bytes, or an already prepared (decoded) image. */
export type WireImage =
  | { kind: 'bytes'; data: ArrayBuffer }
  | { kind: 'prepared'; tensor: Float32Array; width: number; height: number; format: string; rgb?: Uint8Array; rgbWidth: number; rgbHeight: number };

/** One request's share of a caption job. words: post a 'word' reply per word while decoding. */
export interface WirePart {
  images: WireImage[];
  options: CaptionOptions;
  words?: boolean;
}

export type WorkerRequest =
  /** One or several requests' images, decoded together (Captioner.captionParts). */
  | { kind: 'caption'; id: number; parts: WirePart[] }
  | { kind: 'overlay'; id: number; image: WireImage & { kind: 'prepared' }; options: CaptionOptions; draw: DrawOptions }
  | { kind: 'crash'; how: 'throw' | 'exit' };

export interface WireError {
  name: string;
  message: string;
}

export interface TensorStats {
  numTensors: number;
  numBytes: number;
  heapUsed: number;
}

export type WorkerReply =
  | { kind: 'log'; message: string }
  | { kind: 'ready'; info: ModelsInfo; stats: TensorStats }
  | { kind: 'failed'; error: WireError }
  /** A word of job `id`'s part `part`, image `image`, posted while the job runs (before its 'done'). */
  | { kind: 'word'; id: number; part: number; image: number; token: Token }
  | { kind: 'done'; id: number; stats: TensorStats; value: unknown }
  | { kind: 'error'; id: number; stats: TensorStats; error: WireError };

/** Typed errors cross the thread boundary by name and are rebuilt as the same classes. */
export function toWireError(err: unknown): WireError {
  const e = err as Error;
  const name = err instanceof ModelUnavailableError ? 'ModelUnavailableError' : (e?.name ?? 'Error');
  return { name, message: String(e?.message ?? err) };
}

const ERROR_CLASSES: Record<string, new (message: string) => Error> = {
  UnsupportedImageError,
  ImageTooLargeError,
  ModelUnavailableError,
  EncoderFileError,
  WordOutOfRangeError,
};

export function fromWireError(w: WireError): Error {
  const Cls = ERROR_CLASSES[w.name];
  if (Cls) return new Cls(w.message);
  const e = new Error(w.message);
  e.name = w.name;
  return e;
}

/** A copy of the bytes in an ArrayBuffer of their own, to transfer (the caller keeps its Buffer). */
function ownBuffer(b: Uint8Array): ArrayBuffer {
  const copy = new ArrayBuffer(b.byteLength);
  new Uint8Array(copy).set(b);
  return copy;
}

// ---- the pool ----

export interface WorkerCaptionerOptions extends Omit<CaptionerOptions, 'log'> {
  /** Number of worker threads (each with its own model copy). Default 1. */
  workers?: number;
  /** A job running longer than this terminates its worker (→ WorkerTimeoutError). Default: none. */
  jobTimeoutMs?: number;
  /** Most images in one batched caption job (default 8; 1 = no batching across requests). */
  maxBatch?: number;
  /** An idle worker waits this long for more jobs to batch with a new one (default 0). */
  batchWindowMs?: number;
  log?: (msg: string) => void;
  testHooks?: boolean;
}

interface Job {
  request: (id: number) => { msg: WorkerRequest; transfer: ArrayBuffer[] };
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  onWord?: OnPartWord;
}

/** A caption request waiting for a worker; batchable with others of the same key. */
interface CaptionJob {
  part: WirePart;
  transfer: ArrayBuffer[];
  key?: string; // undefined: runs alone
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  onWord?: OnWord;
}

/** One worker job for several caption requests: fans the reply out to each. */
function batchJob(group: CaptionJob[]): Job {
  return {
    request: (id) => ({ msg: { kind: 'caption', id, parts: group.map((g) => g.part) }, transfer: group.flatMap((g) => g.transfer) }),
    resolve: (value) => (value as unknown[]).forEach((v, i) => group[i].resolve(v)),
    reject: (err) => group.forEach((g) => g.reject(err)),
    onWord: group.some((g) => g.onWord) ? (part, image, token) => group[part].onWord?.(image, token) : undefined,
  };
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
          case 'done':
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

  private finish(m: Extract<WorkerReply, { kind: 'done' | 'error' }>): void {
    const cur = this.current;
    if (!cur || cur.id !== m.id) return;
    clearTimeout(cur.timer);
    this.current = undefined;
    this.stats = m.stats;
    this.jobs++;
    this.state = 'idle';
    if (m.kind === 'done') cur.job.resolve(m.value);
    else cur.job.reject(fromWireError(m.error));
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
  private readonly waiting: (Job | CaptionJob)[] = [];
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

  has(kind: 'soft' | 'hard'): boolean {
    return this.modelsInfo.decoders.some((d) => d.attention === kind);
  }

  prepare(image: Buffer): Promise<PreparedImage> {
    return prepareImage(image, this.modelsInfo.encoder.inputSize, { maxPixels: this.opts.maxPixels });
  }

  /**
   * Buffers are sent as transferred copies and decoded in the worker, which sends back the
   * prepared image (RGB for overlays) with the result; prepared images are sent as their
   * tensor only and come back as the caller's own objects. `onWord` gets the words the worker
   * posts while it decodes, on this thread, before the promise resolves.
   */
  async caption(images: (Buffer | PreparedImage)[], o: CaptionOptions, onWord?: OnWord): Promise<CaptionedImage[]> {
    const wire: WireImage[] = [];
    const transfer: ArrayBuffer[] = [];
    for (const im of images) {
      if (Buffer.isBuffer(im)) {
        const data = ownBuffer(im);
        transfer.push(data);
        wire.push({ kind: 'bytes', data });
      } else {
        wire.push({ kind: 'prepared', tensor: im.tensor, width: im.width, height: im.height, format: im.format, rgbWidth: im.rgbWidth, rgbHeight: im.rgbHeight });
      }
    }
    // Uploaded bytes are decoded in the worker, where a bad one would fail every request of a batch.
    const key = images.every((im) => !Buffer.isBuffer(im)) ? batchKey(o) : undefined;
    const part: WirePart = { images: wire, options: o, words: Boolean(onWord) };
    const out = (await this.enqueue((resolve, reject) => ({ part, transfer, key, resolve, reject, onWord }))) as WireCaptioned[];
    return out.map((c, i) => {
      const given = images[i];
      const prepared = Buffer.isBuffer(given) ? revive(c.prepared!) : given;
      return { result: c.result, hypothesis: c.hypothesis, prepared };
    });
  }

  async overlay(prepared: PreparedImage, o: CaptionOptions, draw: DrawOptions): Promise<OverlayOutput> {
    const image = { kind: 'prepared' as const, tensor: prepared.tensor, width: prepared.width, height: prepared.height, format: prepared.format, rgb: prepared.rgb, rgbWidth: prepared.rgbWidth, rgbHeight: prepared.rgbHeight };
    const out = (await this.submit((id) => ({ msg: { kind: 'overlay', id, image, options: o, draw }, transfer: [] }))) as OverlayOutput & { image: Uint8Array };
    return { ...out, image: Buffer.from(out.image.buffer, out.image.byteOffset, out.image.byteLength) };
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
    for (const j of this.waiting.splice(0)) j.reject(new WorkerCrashedError('the captioner is shutting down'));
    await Promise.all(this.slots.map((s) => s.stop()));
  }

  private submit(request: Job['request']): Promise<unknown> {
    return this.enqueue((resolve, reject) => ({ request, resolve, reject }));
  }

  private enqueue(make: (resolve: (v: unknown) => void, reject: (e: Error) => void) => Job | CaptionJob): Promise<unknown> {
    if (this.disposed) return Promise.reject(new WorkerCrashedError('the captioner is shutting down'));
    return new Promise((resolve, reject) => {
      const job = make(resolve, reject);
      this.waiting.push(job);
      // An idle worker would take this job alone at once: give concurrent requests a moment to join it.
      if ('part' in job && job.key !== undefined && this.batchWindowMs > 0 && this.maxBatch > 1 && this.slots.some((s) => s.idle)) {
        this.windowTimer ??= setTimeout(() => {
          this.windowTimer = undefined;
          this.dispatch();
        }, this.batchWindowMs);
        return;
      }
      this.dispatch();
    });
  }

  /** Hands waiting jobs to idle workers (called on submit, job end and worker start), batching caption jobs. */
  dispatch(): void {
    for (const slot of this.slots) {
      if (!this.waiting.length) return;
      if (!slot.idle) continue;
      const first = this.waiting.shift()!;
      if (!('part' in first)) {
        slot.run(first);
        continue;
      }
      const group = [first];
      let images = first.part.images.length;
      for (let i = 0; first.key !== undefined && i < this.waiting.length && images < this.maxBatch; ) {
        const j = this.waiting[i];
        if ('part' in j && j.key === first.key && images + j.part.images.length <= this.maxBatch) {
          group.push(j);
          images += j.part.images.length;
          this.waiting.splice(i, 1);
        } else i++;
      }
      this.batches.jobs++;
      this.batches.requests += group.length;
      this.batches.images += images;
      slot.run(batchJob(group));
    }
  }
}

interface WireCaptioned {
  result: CaptionedImage['result'];
  hypothesis: CaptionedImage['hypothesis'];
  prepared?: WirePrepared;
}

export interface WirePrepared {
  tensor: Float32Array;
  width: number;
  height: number;
  rgb: Uint8Array;
  rgbWidth: number;
  rgbHeight: number;
  format: string;
}

function revive(p: WirePrepared): PreparedImage {
  return { ...p, rgb: Buffer.from(p.rgb.buffer, p.rgb.byteOffset, p.rgb.byteLength) };
}
