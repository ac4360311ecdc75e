import type { Vocabulary } from '../data/vocab.ts';
import type { DecoderConfig } from './config.ts';
import type { DecoderRuntime } from '../runtime/threads.ts';

export type { DecoderRuntime };

/**
 * What the search (src/decoding/) needs from a decoder runtime: one copy of beam search, greedy
 * and sampling drives both the tfjs decoder (src/model/tfjs-step.ts) and the ONNX Runtime one
 * (src/model/ort-decoder.ts). Rows are hypotheses: one per image at init, beams after select.
 * Plain arrays cross this interface, so the search never touches a runtime's tensors.
 */
export interface StepDecoder<S = unknown> {
  readonly runtime: DecoderRuntime;
  readonly config: DecoderConfig;
  readonly vocab: Vocabulary;
  /** L = grid.h * grid.w */
  readonly regions: number;
  /** State for `count` images from their annotation vectors, row-major [count, L, D]. */
  init(features: Float32Array, count: number): S;
  /** One word for every row: previous words [K] → next-word log-probabilities etc. Does not release `state`. */
  step(state: S, prev: Int32Array, mode?: ContextMode): StepResult<S>;
  /**
   * log p(word | s_t = i) for every location i [L] of one image's annotation vectors [L, D], given
   * a step's previous word, h_t and β_t (./decoder.ts locationLogprobs; focus maps). L need not be
   * the decoder's grid: fine focus maps pass the encoder's features at twice the input size.
   */
  wordLogLikelihood(features: Float32Array, h: Float32Array, prev: number, beta: number, word: number): Float32Array;
  /** h_t of every row of a state a step returned [K, n]: read only when maps are kept (focus maps need it). */
  hidden(state: S): Float32Array;
  /** The rows `rows` of a state (beam search reorders hypotheses). Does not release `state`. */
  select(state: S, rows: Int32Array): S;
  release(state: S): void;
  dispose(): void;
}

export interface StepResult<S> {
  logprobs: Float32Array; // [K, V]
  alpha: Float32Array; // attention α_t [K, L]
  beta: Float32Array; // gate β_t [K]
  /** mode 'sample': the region s_t each row's context came from. */
  region?: Int32Array;
  state: S;
}

/** How the context vector is formed: the expectation Σ α a (soft, or hard at test time), or a sampled location. */
export type ContextMode = { kind: 'expected' } | { kind: 'sample'; rng: () => number };
