import * as tf from '../runtime/tf.ts';
import { disposeState, type Decoder, type DecoderState } from './tfjs-decoder.ts';
import type { ContextMode, StepDecoder, StepResult } from './step.ts';

/** The tfjs Decoder behind the runtime-agnostic step interface (tensors stay inside the state). */
export class TfjsStepDecoder implements StepDecoder<DecoderState> {
  readonly runtime = 'tfjs' as const;

  constructor(readonly decoder: Decoder) {}

  get config() {
    return this.decoder.config;
  }

  get vocab() {
    return this.decoder.vocab;
  }

  get regions(): number {
    return this.decoder.regions;
  }

  init(features: Float32Array, count: number): DecoderState {
    const f = tf.tensor3d(features, [count, this.regions, this.config.featureDim]);
    try {
      return this.decoder.init(f);
    } finally {
      f.dispose();
    }
  }

  step(state: DecoderState, prev: Int32Array, mode?: ContextMode): StepResult<DecoderState> {
    const out = this.decoder.step(state, prev, mode);
    try {
      const logprobs = out.logprobs.dataSync() as Float32Array;
      const alpha = out.alpha.dataSync() as Float32Array;
      const beta = out.beta.dataSync() as Float32Array;
      let region: Int32Array | undefined;
      if (mode?.kind === 'sample') {
        const w = out.weights.dataSync();
        const L = this.regions;
        region = Int32Array.from({ length: prev.length }, (_, k) => w.subarray(k * L, (k + 1) * L).indexOf(1));
      }
      return { logprobs, alpha, beta, region, state: out.state };
    } finally {
      tf.dispose([out.logprobs, out.alpha, out.weights, out.beta]);
    }
  }

  hidden(state: DecoderState): Float32Array {
    return state.h.dataSync() as Float32Array;
  }

  wordLogLikelihood(features: Float32Array, h: Float32Array, prev: number, beta: number, word: number): Float32Array {
    return this.decoder.wordLogLikelihood(features, h, prev, beta, word);
  }

  select(state: DecoderState, rows: Int32Array): DecoderState {
    return this.decoder.select(state, rows);
  }

  release(state: DecoderState): void {
    disposeState(state);
  }

  dispose(): void {
    this.decoder.dispose();
  }
}
