// How many threads the service uses: one inference worker per core, and ONNX Runtime's intra-op
// threads split so that workers × threads never exceeds the cores (oversubscribed cores make
// every request slower; a training job on the same machine makes it worse).
import os from 'node:os';
import { gpuBackendInstalled } from './native.ts';

export function cpuCount(): number {
  return Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
}

/** Intra-op threads per worker so that `workers` sessions together use at most the cores. */
export function intraOpThreads(workers: number, cores = cpuCount()): number {
  return Math.max(1, Math.floor(cores / Math.max(1, workers)));
}

/** The two decoder runtimes that implement src/model/step.ts. */
export type DecoderRuntime = 'tfjs' | 'ort';

/**
 * DECODER_RUNTIME=auto: tfjs when the native GPU backend is installed (it is the faster one
 * there), otherwise ONNX Runtime on the CPU (about 3× faster than tfjs-wasm here).
 */
export function resolveDecoderRuntime(requested: DecoderRuntime | 'auto'): DecoderRuntime {
  if (requested !== 'auto') return requested;
  return gpuBackendInstalled() || process.env.TFJS_BACKEND === 'node-gpu' ? 'tfjs' : 'ort';
}
