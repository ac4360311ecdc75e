import * as tf from '../runtime/tf.ts';
import { tanh } from './ops.ts';
import { sampleIndex } from '../util/rng.ts';
import type { DecoderConfig } from './config.ts';
import type { ContextMode } from './step.ts';
import { paramLayout, view, type ParamName } from './params.ts';
import { PAD_ID, START_ID, type Vocabulary } from '../data/vocab.ts';

/**
 * The Show-Attend-Tell decoder (Xu et al. 2015; numbers are the paper's equations), written once
 * as the named functions below. The inference Decoder (one step for K hypotheses) and the training
 * objective (./loss.ts, differentiated by tfjs autograd) are both made of them; src/train/bptt.ts
 * is the hand-written backward pass of the same equations, checked against that loss.
 *
 *   h_0 = tanh(f_init,h(mean_i a_i)),  c_0 = tanh(f_init,c(mean_i a_i))      initState
 *   e_ti = w^T tanh(W_a a_i + b_a + W_h h_{t-1})                            attend   (4)
 *   α_t = softmax(e_t)                                                               (5)
 *   β_t = σ(W_β h_{t-1} + b_β)                                                       (4.2.1)
 *   z_t = β_t Σ_i α_ti a_i                 soft; hard at test time                   (13)
 *       = β_t a_{s_t}, s_t ~ Multinoulli(α_t)   hard, sampled locations              (8)
 *   i, f, o, g = σ, σ, σ, tanh(W [E y_{t-1}; z_t; h_{t-1}] + b)             lstmStep (1)
 *   c_t = f c_{t-1} + i g,  h_t = o tanh(c_t)                                        (2, 3)
 *   p(y_t) = softmax(L_o tanh(E y_{t-1} + L_h h_t + L_z z_t))               deepOutput (7)
 * (tanh in the deep output as in the authors' code; training adds dropout on h_t and on that tanh.)
 * <pad> and <start> are never generated: their logits get −1e9 (bannedLogits).
 *
 * Training objective (./loss.ts), doubly stochastic attention (14):
 *   −(1/N) Σ_b w_b Σ_t log p(y_t) + λ/(B L) Σ_b Σ_i (1 − Σ_t α_ti)²
 * with w_b = 1 for cross-entropy and w_b = r_b − b_b, the advantage of a sampled caption, for
 * self-critical training; hard attention adds REINFORCE on the locations (11, 12):
 *   −λ_r (r − b) Σ_t log p(s_t) − λ_e Σ_t H[α_t]
 * Rewards, baselines, the entropy bonus and the ½ expected-context mix: ./reinforce.ts.
 */
export type ParamTensors = Record<ParamName, tf.Tensor>;

/** Tensors of the flat parameter vector, one per named parameter (./params.ts). */
export function paramTensors(cfg: DecoderConfig, flat: Float32Array): ParamTensors {
  const out = {} as ParamTensors;
  for (const s of paramLayout(cfg).specs) out[s.name] = tf.tensor(view(flat, s), s.shape, 'float32');
  return out;
}

/** −1e9 on <pad> and <start>, added to the logits: never targets, never generated. */
export function bannedLogits(vocabSize: number): Float32Array {
  const mask = new Float32Array(vocabSize);
  mask[PAD_ID] = mask[START_ID] = -1e9;
  return mask;
}

// A type, not an interface: tf.tidy returns it (a tensor container needs an index signature).
export type DecoderState = {
  a: tf.Tensor3D; // annotation vectors [K, L, D]
  P: tf.Tensor3D; // W_a a_i + b_a, precomputed [K, L, A]
  h: tf.Tensor2D; // [K, n]
  c: tf.Tensor2D; // [K, n]
};

/** h_0, c_0 and the image part of the attention MLP (once per image) from annotation vectors a [K, L, D]. */
export function initState(p: ParamTensors, a: tf.Tensor3D): DecoderState {
  const [K, L, D] = a.shape;
  const P = tf.matMul(a.reshape([K * L, D]) as tf.Tensor2D, p.attFeat as tf.Tensor2D).add(p.attFeatB).reshape([K, L, -1]) as tf.Tensor3D;
  const meanA = a.mean(1) as tf.Tensor2D;
  const h = tanh(tf.matMul(meanA, p.initH as tf.Tensor2D).add(p.initHb)) as tf.Tensor2D;
  const c = tanh(tf.matMul(meanA, p.initC as tf.Tensor2D).add(p.initCb)) as tf.Tensor2D;
  return { a, P, h, c };
}

/** E y_{t-1}: the previous words' embeddings [K, m]. */
export function embed(p: ParamTensors, prev: Int32Array): tf.Tensor2D {
  return tf.gather(p.embed, tf.tensor1d(prev, 'int32')) as tf.Tensor2D;
}

export interface Attention {
  alpha: tf.Tensor2D; // α_t [K, L]
  weights: tf.Tensor2D; // what weighted the context: α_t (expected) or one-hot(s_t) (sampled)
  beta: tf.Tensor2D; // β_t [K, 1]
  z: tf.Tensor2D; // context z_t [K, D]
}

/** Equations (4), (5), (8)/(13) and the gate β_t: where to look, given h_{t-1}. */
export function attend(p: ParamTensors, s: Pick<DecoderState, 'a' | 'P' | 'h'>, mode: ContextMode): Attention {
  const [K, L] = [s.a.shape[0], s.a.shape[1]];
  const u = tanh(s.P.add(tf.matMul(s.h, p.attHid as tf.Tensor2D).expandDims(1)));
  const e = u.mul(p.attV.reshape([1, 1, -1])).sum(2) as tf.Tensor2D; // e_ti (4)
  const alpha = tf.softmax(e) as tf.Tensor2D; // α_t (5)
  const weights = mode.kind === 'sample' ? sampleLocations(alpha, mode.rng) : alpha;
  const ctx = tf.matMul(weights.reshape([K, 1, L]) as tf.Tensor3D, s.a).reshape([K, -1]);
  const beta = tf.sigmoid(tf.matMul(s.h, p.beta as tf.Tensor2D).add(p.betaB)) as tf.Tensor2D;
  const z = ctx.mul(beta) as tf.Tensor2D; // z_t = β_t φ(a, α_t)
  return { alpha, weights, beta, z };
}

/** s_t ~ Multinoulli(α_t) (8) for every row, as one-hot rows [K, L]. */
export function sampleLocations(alpha: tf.Tensor2D, rng: () => number): tf.Tensor2D {
  const [K, L] = alpha.shape;
  const al = alpha.dataSync();
  const loc = new Int32Array(K);
  for (let k = 0; k < K; k++) loc[k] = sampleIndex(al, rng, k * L, L);
  return tf.oneHot(tf.tensor1d(loc, 'int32'), L).toFloat() as tf.Tensor2D;
}

/** Equations (1)-(3): the LSTM step from E y_{t-1}, z_t and (h_{t-1}, c_{t-1}); gate order i, f, o, g. */
export function lstmStep(p: ParamTensors, Ey: tf.Tensor2D, z: tf.Tensor2D, h: tf.Tensor2D, c: tf.Tensor2D): { h: tf.Tensor2D; c: tf.Tensor2D } {
  const [K, n] = h.shape;
  const gates = tf
    .matMul(Ey, p.lstmEmb as tf.Tensor2D)
    .add(tf.matMul(tf.concat([z, h], 1), p.lstmCtxHid as tf.Tensor2D))
    .add(p.lstmB);
  const [i, f, o] = tf.split(gates.slice([0, 0], [K, 3 * n]).sigmoid(), 3, 1);
  const g = tanh(gates.slice([0, 3 * n], [K, n]));
  const c2 = f.mul(c).add(i.mul(g)) as tf.Tensor2D;
  return { h: o.mul(tanh(c2)) as tf.Tensor2D, c: c2 };
}

/** Equation (7), the deep output layer: log p(y_t | a, y_{<t}) [K, V]. `banned` is bannedLogits as a tensor. */
export function deepOutput(p: ParamTensors, Ey: tf.Tensor2D, h: tf.Tensor2D, z: tf.Tensor2D, banned: tf.Tensor1D): tf.Tensor2D {
  const q = tanh(Ey.add(tf.matMul(h, p.outH as tf.Tensor2D)).add(p.outHb).add(tf.matMul(z, p.outZ as tf.Tensor2D))) as tf.Tensor2D;
  return tf.logSoftmax(tf.matMul(q, p.outW as tf.Tensor2D).add(p.outB).add(banned)) as tf.Tensor2D;
}

export interface StepOutput {
  logprobs: tf.Tensor2D; // [K, V]
  alpha: tf.Tensor2D; // attention distribution α_t [K, L]
  weights: tf.Tensor2D; // what weighted the context: α_t (soft/expected) or one-hot(s_t) (hard, sampled)
  beta: tf.Tensor2D; // gate β_t [K, 1]
  state: DecoderState;
}

export type { ContextMode } from './step.ts';

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
    return tf.tidy(() => initState(this.p, features.clone()));
  }

  /** One step: previous words [K] -> distribution over the next word, attention, new state. */
  step(state: DecoderState, prev: Int32Array, mode: ContextMode = { kind: 'expected' }): StepOutput {
    return tf.tidy(() => {
      const Ey = embed(this.p, prev);
      const { alpha, weights, beta, z } = attend(this.p, state, mode);
      const next = lstmStep(this.p, Ey, z, state.h, state.c);
      const logprobs = deepOutput(this.p, Ey, next.h, z, this.banned);
      return { logprobs, alpha, weights, beta, state: { a: state.a.clone(), P: state.P.clone(), ...next } };
    });
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
