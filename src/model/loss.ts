import * as tf from '../runtime/tf.ts';
import { PAD_ID } from '../data/vocab.ts';
import { mulberry32 } from '../util/rng.ts';
import type { DecoderConfig } from './config.ts';
import { bannedLogits, decoderStep, embed, initState, locationLogprobs } from './decoder.ts';
import { contextWeights, type ParamTensors } from './tfjs-decoder.ts';
import { tfOps } from './tfjs-ops.ts';
import { attentionEntropy, likelihoodRewards, locationAdvantage, type ReinforceOptions } from './reinforce.ts';

/**
 * The training objective, written plainly from the model's functions (equations in ./decoder.ts),
 * so that tf.grad of it is the reference gradient. Training uses the same objective through its
 * hand-written backward pass, src/train/bptt.ts (test/train/bptt.test.ts checks one against the
 * other); dropout, which training adds in the deep output layer, is left out here.
 *
 *   loss = −tokenScale Σ_b w_b Σ_t log p(y_t) + regScale Σ_b Σ_i (1 − Σ_t α_ti)²        (14)
 *   hard, sampled locations:  − tokenScale Σ_b λ_r (r_b − b) Σ_t log p(s_t)           (11, 12)
 *   hard:                     − tokenScale λ_e Σ_b Σ_t H[α_t]
 *   attention correctness:    − attnScale Σ_b Σ_{t grounded} log Σ_{i ∈ R_bt} π_ti       (Liu et al. 2017)
 * with π_t = α_t (supervise 'alpha'), or the focus map of the word (supervise 'focus'):
 *   π_ti = p(s_t = i | y_t) = softmax_i(log α_ti + log p(y_t | s_t = i))   (locationLogprobs, ./decoder.ts)
 * so that the word's own evidence, not only where the model looked before choosing it, is in the box.
 * R_bt is the target region of the word predicted at step t (src/data/attention-targets.ts);
 * attnScale = μ / (grounded words in the whole batch), so μ weighs the mean −log mass in the
 * region against the mean token NLL. For hard attention it acts on α_t, the distribution the
 * locations are drawn from (no sampling involved, so its gradient is exact, not REINFORCE).
 * Padded steps (target <pad>, after <end>) are masked out of every term.
 */
export interface CaptionBatch {
  features: Float32Array; // [B, L, D]
  tokens: Int32Array; // [B, T+1]: <start> w_1 .. w_n <end>, then <pad> up to T+1 (masked)
  B: number;
  T: number; // number of predicted tokens (n + 1)
  regions?: Uint8Array; // [B, T, L]: 1 on the target region of the word predicted at step t; a row of 0s: not grounded
}

export interface LossOptions {
  sampled: boolean; // hard attention: sample locations; otherwise use the expectation α (soft)
  seed: number; // attention samples (and, in training, dropout masks)
  tokenScale: number; // 1 / (tokens in the whole, possibly multi-worker, batch)
  regScale: number; // λ / (captions in the whole batch × L)
  reinforce?: ReinforceOptions; // hard attention
  captionWeights?: Float32Array; // [B] w_b on each caption's log-likelihood (SCST advantages); default 1
  attnScale?: number; // μ / (grounded words in the whole batch): the attention-correctness term; needs batch.regions
  supervise?: Supervised; // which map the term puts in the region; default 'alpha'
}

/** The map the attention-correctness term supervises: α_t, or the focus map p(s_t | y_t). */
export type Supervised = 'alpha' | 'focus';

export function captionLoss(cfg: DecoderConfig, p: ParamTensors, batch: CaptionBatch, o: LossOptions): tf.Scalar {
  const { B, T } = batch;
  const L = cfg.grid.h * cfg.grid.w;
  const hard = cfg.attention === 'hard';
  const mode = hard && o.sampled ? { kind: 'sample' as const, rng: mulberry32(o.seed) } : { kind: 'expected' as const };
  const banned = tf.tensor1d(bannedLogits(cfg.vocabSize));
  const token = (b: number, t: number) => batch.tokens[b * (T + 1) + t];
  const column = (t: number) => Int32Array.from({ length: B }, (_, b) => token(b, t));
  const mask = Float32Array.from({ length: T * B }, (_, k) => (token(k % B, Math.floor(k / B) + 1) === PAD_ID ? 0 : 1)); // time-major
  const lengths = new Float32Array(B);
  for (let k = 0; k < T * B; k++) lengths[k % B] += mask[k];
  const w = tf.tensor1d(o.captionWeights ?? new Float32Array(B).fill(1));

  const a = tf.tensor3d(batch.features, [B, L, cfg.featureDim]);
  let state = { a, ...initState(tfOps, p, a) };
  const weightsOf = contextWeights(mode);
  let alphaSum: tf.Tensor = tf.zeros([B, L]);
  let entropy: tf.Tensor = tf.scalar(0);
  let correctness: tf.Tensor = tf.scalar(0); // Σ −log(mass in region) over grounded words
  const tokenLogp: tf.Tensor[] = []; // log p(y_t), [B] per step
  const locationLogp: tf.Tensor[] = []; // log p(s_t), [B] per step
  for (let t = 0; t < T; t++) {
    const m = tf.tensor1d(mask.subarray(t * B, (t + 1) * B));
    const { logprobs: logp, alpha, weights, beta, h, c } = decoderStep(tfOps, p, state, tf.tensor1d(column(t), 'int32'), weightsOf, banned);
    state = { ...state, h, c };
    tokenLogp.push(logp.mul(tf.oneHot(tf.tensor1d(column(t + 1), 'int32'), cfg.vocabSize).toFloat()).sum(1).mul(m));
    alphaSum = alphaSum.add(alpha.mul(m.expandDims(1)));
    if (mode.kind === 'sample') locationLogp.push(tf.log(alpha).mul(weights).sum(1).mul(m));
    if (hard && o.reinforce) entropy = entropy.add(attentionEntropy(alpha as tf.Tensor2D).mul(m).sum());
    if (batch.regions && o.attnScale) {
      const { region, grounded } = stepRegions(batch.regions, B, T, L, t);
      const g = tf.tensor1d(grounded).mul(m);
      // log(mass + 1 − g): ungrounded rows add log 1 = 0 instead of log 0
      const target = o.supervise === 'focus' ? focusMaps(p, a, tf.tensor1d(column(t), 'int32'), h, beta, alpha, tf.tensor1d(column(t + 1), 'int32'), banned) : alpha;
      const mass = target.mul(tf.tensor2d(region, [B, L])).sum(1);
      correctness = correctness.sub(mass.add(tf.scalar(1).sub(g)).log().mul(g).sum());
    }
  }
  const nll = tf.addN(tokenLogp).mul(w).sum().neg();
  let loss = nll.mul(o.tokenScale).add(tf.scalar(1).sub(alphaSum).square().sum().mul(o.regScale));
  const rf = o.reinforce;
  if (rf && locationLogp.length) {
    const rewards = likelihoodRewards(tf.stack(tokenLogp).dataSync(), mask, lengths); // constants: no gradient through r
    const advantages = tf.tensor1d(Array.from(rewards, (r) => locationAdvantage(r, rf)));
    loss = loss.sub(tf.addN(locationLogp).mul(advantages).sum().mul(o.tokenScale));
  }
  if (rf && hard) loss = loss.sub(entropy.mul(rf.entropy * o.tokenScale));
  if (o.attnScale) loss = loss.add(correctness.mul(o.attnScale));
  return loss as tf.Scalar;
}

/** π_ti = softmax_i(log α_ti + log p(y_t | s_t = i)) for every row [B, L]: the focus maps of the words y_t [B]. */
function focusMaps(p: ParamTensors, a: tf.Tensor, prev: tf.Tensor, h: tf.Tensor, beta: tf.Tensor, alpha: tf.Tensor, y: tf.Tensor, banned: tf.Tensor): tf.Tensor {
  const [B, L] = alpha.shape;
  const logp = locationLogprobs(tfOps, p, a, embed(tfOps, p, prev).expandDims(1), h.expandDims(1), beta.reshape([B, 1, 1]), banned); // [B, L, V]
  const wordLogp = logp.mul(tf.oneHot(y, logp.shape[2] as number).toFloat().expandDims(1)).sum(2); // log p(y_t | s_t = i) [B, L]
  return tf.softmax(tf.log(alpha).add(wordLogp));
}

/** Step t's target regions [B, L] (0/1 as floats) and which captions have one (1) or not (0), from [B, T, L]. */
export function stepRegions(regions: Uint8Array, B: number, T: number, L: number, t: number): { region: Float32Array; grounded: Float32Array } {
  const region = new Float32Array(B * L);
  const grounded = new Float32Array(B);
  for (let b = 0; b < B; b++) {
    const row = regions.subarray((b * T + t) * L, (b * T + t + 1) * L);
    region.set(row, b * L);
    grounded[b] = row.includes(1) ? 1 : 0;
  }
  return { region, grounded };
}
