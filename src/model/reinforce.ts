import * as tf from '../runtime/tf.ts';

/**
 * REINFORCE, in one place (Williams 1992): ∇ E[r] = E[(r − b) ∇ log p(sample)]. The objective
 * that uses these terms is ./loss.ts; src/train/bptt.ts is its hand-written gradient.
 *
 * Self-critical sequence training (Rennie et al. 2017) samples K captions w^k ~ p(·|I) per image
 * and minimises  −(1/N) Σ_k (r(w^k) − b_k) Σ_t log p(w^k_t),  r = CIDEr-D against the image's
 * references (ciderRewards). Baseline b_k: the reward of the greedy caption (Rennie et al.), or the
 * mean reward of the other K−1 samples of the same image (Kool et al. 2019; no extra decode, and
 * unbiased because b_k does not depend on w^k).
 *
 * Hard attention (Xu et al. 2015, eq. 11-12) samples locations s_t ~ Multinoulli(α_t) and uses
 * r = mean_t log p(y_t | a, s) (likelihoodRewards) with a moving-average baseline b ← 0.9 b + 0.1 r,
 * the term −λ_r (r − b) Σ_t log p(s_t), an entropy bonus −λ_e Σ_t H[α_t], and with probability ½
 * per batch the expected context instead of a sample.
 */

/** Hard attention's REINFORCE settings for one batch. */
export interface ReinforceOptions {
  weight: number; // λ_r
  entropy: number; // λ_e
  baseline: number; // b, the moving average of past rewards
}

/** What scores a caption against reference set `index` (CIDEr-D: src/eval/cider.ts). */
export interface CaptionScorer {
  score(hypothesis: string, index: number): number;
}

/** SCST rewards: each caption (word ids, no <start>/<end>) scored against the references of its image; `perImage` captions per image. */
export function ciderRewards(scorer: CaptionScorer, words: readonly string[], captions: number[][], refs: ArrayLike<number>, perImage: number): Float32Array {
  return Float32Array.from(captions, (ids, i) => scorer.score(ids.map((id) => words[id]).join(' '), refs[Math.floor(i / perImage)]));
}

/** Per-sample advantages r_k − mean of the other samples of the same image (rows image-major, K per image). */
export function leaveOneOutAdvantages(rewards: ArrayLike<number>, K: number): Float32Array {
  if (K < 2) throw new Error('the leave-one-out baseline needs at least 2 samples per image');
  if (rewards.length % K) throw new Error(`${rewards.length} rewards is not a multiple of ${K} samples per image`);
  const out = new Float32Array(rewards.length);
  for (let i = 0; i < rewards.length; i += K) {
    let sum = 0;
    for (let k = 0; k < K; k++) sum += rewards[i + k];
    for (let k = 0; k < K; k++) out[i + k] = rewards[i + k] - (sum - rewards[i + k]) / (K - 1);
  }
  return out;
}

/** Per-sample advantages r_k − r(greedy caption of the same image). */
export function greedyAdvantages(rewards: ArrayLike<number>, greedy: ArrayLike<number>, K: number): Float32Array {
  if (rewards.length !== greedy.length * K) throw new Error(`${rewards.length} rewards for ${greedy.length} images × ${K} samples`);
  return Float32Array.from(rewards, (r, i) => r - greedy[Math.floor(i / K)]);
}

/**
 * Hard attention's rewards r_b = mean_t log p(y_t): token log-probabilities time-major (row t*B + b),
 * `mask` 0 on padding, `lengths` the unpadded tokens per caption.
 */
export function likelihoodRewards(tokenLogp: ArrayLike<number>, mask: ArrayLike<number>, lengths: Float32Array): Float32Array {
  const B = lengths.length;
  const reward = new Float32Array(B);
  for (let k = 0; k < tokenLogp.length; k++) reward[k % B] += (mask[k] * tokenLogp[k]) / lengths[k % B];
  return reward;
}

/** The weight λ_r (r − b) of a caption's Σ_t log p(s_t). */
export function locationAdvantage(reward: number, rf: ReinforceOptions): number {
  return (reward - rf.baseline) * rf.weight;
}

/** H[α_t] = −Σ_i α_ti log α_ti per row, the entropy bonus's term. */
export function attentionEntropy(alpha: tf.Tensor2D): tf.Tensor1D {
  return alpha.mul(tf.log(alpha)).sum(1).neg() as tf.Tensor1D;
}

/** Hard attention's baseline: b ← 0.9 b + 0.1 mean r (the first batch sets it). */
export function movingAverage(baseline: number | null, rewardMean: number, decay = 0.9): number {
  return baseline === null ? rewardMean : decay * baseline + (1 - decay) * rewardMean;
}

/** Hard attention: with probability ½ a batch trains on the expected context instead of sampled locations. */
export function useSampledLocations(rng: () => number): boolean {
  return rng() < 0.5;
}
