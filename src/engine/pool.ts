// The captioner off the event loop: the engine (engine.ts) over a pool of worker executors, each
// a thread holding its own Captioner (worker-executor.ts).
//
// Why: word decoding is synchronous work. In-process, one request decoding froze the whole
// server, /healthz included, for the length of the decode. Here the HTTP thread only parses
// uploads and decodes images with sharp (libuv's pool, not the event loop); encoding, decoding
// words and rendering overlays happen in the workers.
//
// Memory: every worker loads the whole model (ONNX encoder session + the decoders: ORT sessions
// holding prepacked float32 weights, or tfjs tensors + wasm heap + its own V8 isolate and native
// addons): about 150 MB resident per worker with the ort decoder (docs/architecture.md "Memory").
// MAX_CONCURRENT is the number of workers; more than one per free core only makes every request
// slower.
import type { CaptionerOptions } from '../pipeline/captioner.ts';
import { Engine, type EngineOptions } from './engine.ts';
import type { ModelsInfo } from '../service/schemas.ts';
import { WorkerExecutor, type WorkerExecutorOptions } from './worker-executor.ts';

export interface WorkerCaptionerOptions extends Omit<CaptionerOptions, 'log'>, Omit<EngineOptions, 'maxPixels'> {
  /** Number of worker threads (each with its own model copy). Default 1. */
  workers?: number;
  /** A job running longer than this terminates its worker (→ WorkerTimeoutError). Default: none. */
  jobTimeoutMs?: number;
  log?: (msg: string) => void;
}

/**
 * Starts `workers` worker executors; resolves once every one has loaded the model, or rejects
 * (and stops the others) if any fails.
 */
export async function startWorkers(opts: WorkerCaptionerOptions, module?: URL): Promise<{ executors: WorkerExecutor[]; info: ModelsInfo }> {
  const init = { modelsDir: opts.modelsDir, allowDownload: opts.allowDownload, maxPixels: opts.maxPixels, runtime: opts.runtime, intraOpThreads: opts.intraOpThreads };
  const run: WorkerExecutorOptions = { jobTimeoutMs: opts.jobTimeoutMs, log: opts.log ?? (() => {}), module };
  const executors = Array.from({ length: Math.max(1, opts.workers ?? 1) }, (_, i) => new WorkerExecutor(i, init, run));
  try {
    // The first loads alone: it may download the encoder, which the others then find on disk.
    const info = await executors[0].start();
    await Promise.all(executors.slice(1).map((e) => e.start()));
    return { executors, info };
  } catch (err) {
    await Promise.all(executors.map((e) => e.stop()));
    throw err;
  }
}

/** The engine over worker threads: prepare() stays on this thread, caption() and overlay() go to the workers. */
export class WorkerCaptioner extends Engine {
  static async start(opts: WorkerCaptionerOptions): Promise<WorkerCaptioner> {
    const { executors, info } = await startWorkers(opts);
    return new WorkerCaptioner(executors, info, opts);
  }
}
