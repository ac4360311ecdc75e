import * as tf from '../runtime/tf.ts';
import { outputHidden, outputLogprobs } from '../model/decoder.ts';
import type { ParamTensors } from '../model/tfjs-decoder.ts';
import { tfOps } from '../model/tfjs-ops.ts';
import { matMulTA as tmm } from '../runtime/backend.ts';

/**
 * The attention-correctness term on the focus maps (src/model/loss.ts, supervise 'focus'), forward
 * and backward, for the G grounded words of a batch at once; src/train/bptt.ts adds what it returns
 * to the rest of the backward pass.
 *
 *   π_i = softmax_i(s_i),  s_i = log α_i + ℓ_i,  ℓ_i = log p(y | s = i)   (deep output (7), z = β a_i)
 *   term = −scale · log m,  m = Σ_{i ∈ R} π_i
 *   ∂term/∂s_i = scale · (π_i − R_i π_i / m)
 * Through log α (log-softmax of the attention logits e): ∂/∂e_i = ∂/∂s_i − α_i Σ_j ∂/∂s_j = ∂/∂s_i,
 * since Σ_i ∂/∂s_i = 0. Through ℓ_i: the deep output layer at every location, as for a word's
 * log-likelihood, weighted by ∂/∂s_i, down to h_t, E y_{t−1} and β_t (the features are frozen).
 * No dropout: the map is the one inference shows.
 */
export interface FocusInputs {
  a: tf.Tensor; // [B, L, D]
  Ey: tf.Tensor; // E y_{t−1} [N, M], time-major rows k = t·B + b
  H: tf.Tensor; // h_t [N, H], without dropout
  beta: tf.Tensor; // β_t [N, 1]
  alpha: tf.Tensor; // α_t [N, L]
  rows: Int32Array; // the grounded rows k [G]
  words: Int32Array; // y_t of those rows [G]
  region: Float32Array; // their target regions [G, L], 0/1
  scale: number; // μ / (grounded words in the whole batch)
  banned: tf.Tensor; // bannedLogits
}

/** Gradients w.r.t. the output layer's weights; per row k: ∂/∂e_t (attention logits), ∂/∂β_t, ∂/∂h_t, ∂/∂E y_{t−1}; and [count, Σ −log m, Σ m]. */
export interface FocusGradients {
  outW: tf.Tensor; outB: tf.Tensor; outH: tf.Tensor; outHb: tf.Tensor; outZ: tf.Tensor;
  dE: tf.Tensor; // [N, L]
  dBeta: tf.Tensor; // [N, 1]
  dH: tf.Tensor; // [N, H]
  dEy: tf.Tensor; // [N, M]
  stats: tf.Tensor; // [3]
}

export function focusTerm(p: ParamTensors, x: FocusInputs): FocusGradients {
  const [B, L, D] = x.a.shape as [number, number, number];
  const [N, M] = x.Ey.shape as [number, number];
  const G = x.rows.length;
  const V = p.outW.shape[1] as number;
  const mmT = (a: tf.Tensor, b: tf.Tensor) => tf.matMul(a as tf.Tensor2D, tf.transpose(b) as tf.Tensor2D);

  const idx = tf.tensor1d(x.rows, 'int32');
  const aG = tf.gather(x.a, tf.tensor1d(Int32Array.from(x.rows, (k) => k % B), 'int32')); // [G, L, D]
  const hG = tf.gather(x.H, idx);
  const z = aG.mul(tf.gather(x.beta, idx).reshape([G, 1, 1])); // β_t a_i [G, L, D]
  const q = outputHidden(tfOps, p, tf.gather(x.Ey, idx).expandDims(1), hG.expandDims(1), z); // [G, L, M]
  const logp = outputLogprobs(tfOps, p, q, x.banned); // [G, L, V]
  const onehot = tf.oneHot(tf.tensor1d(x.words, 'int32'), V).toFloat().expandDims(1); // [G, 1, V]
  const pi = tf.softmax(tf.log(tf.gather(x.alpha, idx)).add(logp.mul(onehot).sum(2))); // [G, L]
  const inR = pi.mul(tf.tensor2d(x.region, [G, L]));
  const m = inR.sum(1, true);
  const stats = tf.stack([tf.scalar(G), m.log().sum().neg(), m.sum()]);

  const dS = pi.sub(inR.div(m)).mul(x.scale); // [G, L]
  const dLogits = onehot.sub(logp.exp()).mul(dS.expandDims(2)).reshape([G * L, V]);
  const qFlat = q.reshape([G * L, M]);
  const dqPre = mmT(dLogits, p.outW).mul(tf.scalar(1).sub(qFlat.square())); // [G·L, M]
  const dqSum = dqPre.reshape([G, L, M]).sum(1); // E y, h_t and the bias enter every location's row alike
  const dBeta = mmT(dqPre, p.outZ).reshape([G, L, D]).mul(aG).sum([1, 2]).reshape([G, 1]);
  const toRows = tf.oneHot(idx, N).toFloat(); // [G, N]: scatter the G rows into the batch's N rows
  return {
    outW: tmm(qFlat, dLogits),
    outB: dLogits.sum(0),
    outH: tmm(hG, dqSum),
    outHb: dqSum.sum(0),
    outZ: tmm(z.reshape([G * L, D]), dqPre),
    dE: tmm(toRows, dS),
    dBeta: tmm(toRows, dBeta),
    dH: tmm(toRows, mmT(dqSum, p.outH)),
    dEy: tmm(toRows, dqSum),
    stats,
  };
}
