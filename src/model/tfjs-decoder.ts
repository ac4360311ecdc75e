// The decoder's equations (./decoder.ts) on tfjs tensors: the inference Decoder (one step for K
// hypotheses; ./tfjs-step.ts puts it behind the search's interface), the parameters as tensors and
// the sampled context weights, shared with training (./loss.ts, src/train/). Apart from
// ./decoder.ts so that the ONNX Runtime decoder, which traces the same equations, never loads tfjs.
import * as tf from '../runtime/tf.ts';
import { sampleIndex } from '../util/rng.ts';
import type { Vocabulary } from '../data/vocab.ts';
import type { DecoderConfig } from './config.ts';
import { bannedLogits, decoderStep, embed, initState, locationLogprobs, type Weights } from './decoder.ts';
import { paramLayout, view } from './params.ts';
import type { ContextMode } from './step.ts';
import { tfOps } from './tfjs-ops.ts';

export type ParamTensors = Weights<tf.Tensor>;

/** Tensors of the flat parameter vector, one per named parameter (./params.ts). */
export function paramTensors(cfg: DecoderConfig, flat: Float32Array): ParamTensors {
  const out = {} as ParamTensors;
  for (const s of paramLayout(cfg).specs) out[s.name] = tf.tensor(view(flat, s), s.shape, 'float32');
  return out;
}

// A type, not an interface: tf.tidy returns it (a tensor container needs an index signature).
export type DecoderState = {
  a: tf.Tensor3D; // annotation vectors [K, L, D]
  P: tf.Tensor3D; // W_a a_i + b_a, precomputed [K, L, A]
  h: tf.Tensor2D; // [K, n]
  c: tf.Tensor2D; // [K, n]
};

/** The context weights of a ContextMode on tfjs: α_t itself (expected), or sampled one-hot locations. */
export function contextWeights(mode: ContextMode): (alpha: tf.Tensor) => tf.Tensor {
  return mode.kind === 'sample' ? (alpha) => sampleLocations(alpha as tf.Tensor2D, mode.rng) : (alpha) => alpha;
}

/** s_t ~ Multinoulli(α_t) (8) for every row, as one-hot rows [K, L]. */
export function sampleLocations(alpha: tf.Tensor2D, rng: () => number): tf.Tensor2D {
  const [K, L] = alpha.shape;
  const al = alpha.dataSync();
  const loc = new Int32Array(K);
  for (let k = 0; k < K; k++) loc[k] = sampleIndex(al, rng, k * L, L);
  return tf.oneHot(tf.tensor1d(loc, 'int32'), L).toFloat() as tf.Tensor2D;
}

export interface StepOutput {
  logprobs: tf.Tensor2D; // [K, V]
  alpha: tf.Tensor2D; // attention distribution α_t [K, L]
  weights: tf.Tensor2D; // what weighted the context: α_t (soft/expected) or one-hot(s_t) (hard, sampled)
  beta: tf.Tensor2D; // gate β_t [K, 1]
  state: DecoderState;
}

/** The decoder for inference: one step at a time for K parallel hypotheses (K images, or K beams). */
export class Decoder {
  readonly config: DecoderConfig;
  readonly vocab: Vocabulary;
  readonly flat: Float32Array;
  private readonly p: ParamTensors;
  private readonly banned: tf.Tensor1D;

  constructor(config: DecoderConfig, vocab: Vocabulary, flat: Float32Array) {
    if (vocab.size !== config.vocabSize) throw new Error(`vocabulary has ${vocab.size} words, config says ${config.vocabSize}`);
    const { total } = paramLayout(config);
    if (flat.length !== total) throw new Error(`expected ${total} parameters, got ${flat.length}`);
    this.config = config;
    this.vocab = vocab;
    this.flat = flat;
    this.p = paramTensors(config, flat);
    for (const t of Object.values(this.p)) tf.keep(t);
    this.banned = tf.keep(tf.tensor1d(bannedLogits(config.vocabSize)));
  }

  get regions(): number {
    return this.config.grid.h * this.config.grid.w;
  }

  /** Initial state from annotation vectors features [K, L, D] (the state holds a copy). */
  init(features: tf.Tensor3D): DecoderState {
    return tf.tidy(() => {
      const a = features.clone();
      return { a, ...initState(tfOps, this.p, a) } as DecoderState;
    });
  }

  /** One step: previous words [K] -> distribution over the next word, attention, new state. */
  step(state: DecoderState, prev: Int32Array, mode: ContextMode = { kind: 'expected' }): StepOutput {
    return tf.tidy(() => {
      const { h, c, ...out } = decoderStep(tfOps, this.p, state, tf.tensor1d(prev, 'int32'), contextWeights(mode), this.banned);
      return { ...out, state: { a: state.a.clone(), P: state.P.clone(), h, c } };
    }) as StepOutput;
  }

  /** log p(word | s_t = i) for every location i [L] of one image's features [L, D] (any L: a finer grid too), given h_t, β_t and the previous word (./decoder.ts locationLogprobs). */
  wordLogLikelihood(features: Float32Array, hidden: Float32Array, prev: number, beta: number, word: number): Float32Array {
    const loglik = tf.tidy(() => {
      const a = tf.tensor2d(features, [features.length / this.config.featureDim, this.config.featureDim]);
      const h = tf.tensor2d(hidden, [1, this.config.hiddenDim]);
      const Ey = embed(tfOps, this.p, tf.tensor1d([prev], 'int32'));
      const logprobs = locationLogprobs(tfOps, this.p, a, Ey, h, tf.tensor2d([[beta]]), this.banned);
      return tf.gather(logprobs, tf.tensor1d([word], 'int32'), 1);
    });
    try {
      return loglik.dataSync() as Float32Array;
    } finally {
      loglik.dispose();
    }
  }

  /** Keeps only the rows `index` of a state (beam search reorders hypotheses). */
  select(state: DecoderState, index: Int32Array): DecoderState {
    return tf.tidy(() => {
      const ix = tf.tensor1d(index, 'int32');
      return { a: tf.gather(state.a, ix), P: tf.gather(state.P, ix), h: tf.gather(state.h, ix), c: tf.gather(state.c, ix) };
    });
  }

  dispose(): void {
    for (const t of Object.values(this.p)) t.dispose();
    this.banned.dispose();
  }
}

export function disposeState(s: DecoderState): void {
  tf.dispose([s.a, s.P, s.h, s.c]);
}
