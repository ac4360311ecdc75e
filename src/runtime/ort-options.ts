// ONNX Runtime session options of the sessions that read images (the encoder and the detector),
// in one place. The decoder's per-word sessions have their own (src/runtime/ort-sync.ts).
import type ort from 'onnxruntime-node';

/**
 * Every inference worker holds one encoder and one detector session, so what they keep between
 * runs is paid once per worker (docs/architecture.md "Memory").
 */
export function imageSessionOptions(intraOpThreads: number): ort.InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: intraOpThreads, // split with the other workers: src/runtime/threads.ts
    interOpNumThreads: 1, // the graphs are chains: nothing to run side by side
    graphOptimizationLevel: 'all',
    // The arena stays: it keeps the activations' pages (tens of MB at 448) between runs. Without
    // it every run maps fresh pages (the server's MALLOC_MMAP_THRESHOLD_) and faults them in:
    // 14 → 27 ms per encoded image, 36 → 50 ms per detected one.
    enableCpuMemArena: true,
    // No memory pattern: it plans each run's activations as one block beside what the arena
    // already holds, ≈ 10 MB more per worker for the two sessions, and is no faster here
    // (docs/benchmarks.md "Peak RSS at 8 clients").
    enableMemPattern: false,
  };
}
