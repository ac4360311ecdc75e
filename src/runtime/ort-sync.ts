// A synchronous ONNX Runtime session for the decoder's per-word steps.
//
// Why not ort.InferenceSession: its run() is a Promise around the native binding's synchronous
// run (dist/backend.js wraps it in setImmediate). The search (beam, greedy, sampling) is one
// synchronous loop shared with the tfjs decoder; calling the binding directly keeps it so, and
// saves a macrotask per word. The binding is onnxruntime-node's own (pinned to 1.22 in
// package.json); test/model/ort-decoder.test.ts fails loudly if its shape ever changes.
import { createRequire } from 'node:module';
import ort from 'onnxruntime-node';

const require = createRequire(import.meta.url);

interface NativeSession {
  loadModel(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, options: object): void;
  run(feeds: Record<string, ort.Tensor>, fetches: Record<string, null>, options: object): Record<string, ort.Tensor>;
  dispose(): void;
  readonly outputMetadata: { name: string }[];
}

const { binding, initOrt } = require('onnxruntime-node/dist/binding.js') as {
  binding: { InferenceSession: new () => NativeSession };
  initOrt: () => void;
};

export interface SyncSessionOptions {
  /** ORT intra-op threads for this session (see src/runtime/threads.ts). */
  intraOpThreads: number;
}

export class SyncSession {
  private readonly native: NativeSession;
  private readonly fetches: Record<string, null>;

  constructor(model: Uint8Array, opts: SyncSessionOptions) {
    void ort.env; // the package must be initialised (it registers its Tensor class with the binding)
    initOrt();
    this.native = new binding.InferenceSession();
    this.native.loadModel(model.buffer, model.byteOffset, model.byteLength, {
      intraOpNumThreads: opts.intraOpThreads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      // No arena: it rounds the weights' allocations up (≈45 MB more for soft + hard), same speed.
      enableCpuMemArena: false,
      executionProviders: [{ name: 'cpu' }],
    });
    this.fetches = Object.fromEntries(this.native.outputMetadata.map((m) => [m.name, null]));
  }

  run(feeds: Record<string, ort.Tensor>): Record<string, ort.Tensor> {
    return this.native.run(feeds, this.fetches, {});
  }

  dispose(): void {
    this.native.dispose();
  }
}
