import * as tf from '../runtime/tf.ts';
import { tanh } from './ops.ts';
import { sampleIndex } from '../util/rng.ts';
import type { DecoderConfig } from './config.ts';
import type { ContextMode } from './step.ts';
import { paramLayout, view, type ParamName } from './params.ts';
import { PAD_ID, START_ID, type Vocabulary } from '../data/vocab.ts';

/**
 * The decoder for inference: one LSTM step at a time, for K parallel hypotheses
 * (K images, or K beams). Same equations as src/train/gradients.ts (see there).
 */
export interface DecoderState {
  a: tf.Tensor3D; // annotation vectors [K, L, D]
  P: tf.Tensor3D; // W_a a_i + b_a, precomputed [K, L, A]
  h: tf.Tensor2D; // [K, n]
  c: tf.Tensor2D; // [K, n]
}

export interface StepOutput {
  logprobs: tf.Tensor2D; // [K, V]
  alpha: tf.Tensor2D; // attention distribution α_t [K, L]
  weights: tf.Tensor2D; // what weighted the context: α_t (soft/expected) or one-hot(s_t) (hard, sampled)
  beta: tf.Tensor2D; // gate β_t [K, 1]
  state: DecoderState;
}

export type { ContextMode } from './step.ts';

export class Decoder {
  readonly config: DecoderConfig;
  readonly vocab: Vocabulary;
  readonly flat: Float32Array;
  private readonly p: Record<ParamName, tf.Tensor>;
  private readonly banned: tf.Tensor1D; // -1e9 on <pad> and <start>: never generated

  constructor(config: DecoderConfig, vocab: Vocabulary, flat: Float32Array) {
    if (vocab.size !== config.vocabSize) throw new Error(`vocabulary has ${vocab.size} words, config says ${config.vocabSize}`);
    const { specs, total } = paramLayout(config);
    if (flat.length !== total) throw new Error(`expected ${total} parameters, got ${flat.length}`);
    this.config = config;
    this.vocab = vocab;
    this.flat = flat;
    this.p = {} as Record<ParamName, tf.Tensor>;
    for (const s of specs) this.p[s.name] = tf.keep(tf.tensor(view(flat, s), s.shape, 'float32'));
    const mask = new Float32Array(config.vocabSize);
    mask[PAD_ID] = mask[START_ID] = -1e9;
    this.banned = tf.keep(tf.tensor1d(mask));
  }

  get regions(): number {
    return this.config.grid.h * this.config.grid.w;
  }

  /** Initial state from annotation vectors features [K, L, D]: h0, c0 = tanh(f_init(mean_i a_i)). */
  init(features: tf.Tensor3D): DecoderState {
    return tf.tidy(() => {
      const [K, L, D] = features.shape;
      const a = features.clone();
      const P = tf.matMul(a.reshape([K * L, D]) as tf.Tensor2D, this.p.attFeat as tf.Tensor2D).add(this.p.attFeatB).reshape([K, L, -1]) as tf.Tensor3D;
      const meanA = a.mean(1) as tf.Tensor2D;
      const h = tanh(tf.matMul(meanA, this.p.initH as tf.Tensor2D).add(this.p.initHb)) as tf.Tensor2D;
      const c = tanh(tf.matMul(meanA, this.p.initC as tf.Tensor2D).add(this.p.initCb)) as tf.Tensor2D;
      return { a, P, h, c };
    });
  }

  /** One step: previous words [K] -> distribution over the next word, attention, new state. */
  step(state: DecoderState, prev: Int32Array, mode: ContextMode = { kind: 'expected' }): StepOutput {
    return tf.tidy(() => {
      const p = this.p;
      const { a, P, h, c } = state;
      const [K, L] = [a.shape[0], a.shape[1]];
      const n = this.config.hiddenDim;
      const Ey = tf.gather(p.embed, tf.tensor1d(prev, 'int32')) as tf.Tensor2D;
      const u = tanh(P.add(tf.matMul(h, p.attHid as tf.Tensor2D).expandDims(1)));
      const e = u.mul(p.attV.reshape([1, 1, -1])).sum(2) as tf.Tensor2D; // e_ti (4)
      const alpha = tf.softmax(e) as tf.Tensor2D; // α_t (5)
      let weights = alpha;
      if (mode.kind === 'sample') {
        const al = alpha.dataSync();
        const s = new Int32Array(K);
        for (let k = 0; k < K; k++) s[k] = sampleIndex(al, mode.rng, k * L, L);
        weights = tf.oneHot(tf.tensor1d(s, 'int32'), L).toFloat() as tf.Tensor2D; // s_t ~ Multinoulli(α_t) (8)
      }
      const ctx = tf.matMul(weights.reshape([K, 1, L]) as tf.Tensor3D, a).reshape([K, -1]);
      const beta = tf.sigmoid(tf.matMul(h, p.beta as tf.Tensor2D).add(p.betaB)) as tf.Tensor2D;
      const z = ctx.mul(beta) as tf.Tensor2D; // z_t = β_t φ(a, α_t)
      const gates = tf
        .matMul(Ey, p.lstmEmb as tf.Tensor2D)
        .add(tf.matMul(tf.concat([z, h], 1), p.lstmCtxHid as tf.Tensor2D))
        .add(p.lstmB);
      const [i, f, o] = tf.split(gates.slice([0, 0], [K, 3 * n]).sigmoid(), 3, 1);
      const g = tanh(gates.slice([0, 3 * n], [K, n]));
      const c2 = f.mul(c).add(i.mul(g)) as tf.Tensor2D;
      const h2 = o.mul(tanh(c2)) as tf.Tensor2D;
      const q = tanh(Ey.add(tf.matMul(h2, p.outH as tf.Tensor2D)).add(p.outHb).add(tf.matMul(z, p.outZ as tf.Tensor2D))) as tf.Tensor2D;
      const logprobs = tf.logSoftmax(tf.matMul(q, p.outW as tf.Tensor2D).add(p.outB).add(this.banned)) as tf.Tensor2D;
      return { logprobs, alpha, weights, beta, state: { a: a.clone(), P: P.clone(), h: h2, c: c2 } };
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

