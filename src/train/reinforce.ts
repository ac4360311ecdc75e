/**
 * REINFORCE, in one place (Williams 1992): ∇ E[r] = E[(r − b) ∇ log p(sample)].
 * gradients.ts turns these scalars into gradients:
 *
 * Self-critical sequence training (Rennie et al. 2017) samples K captions w^k ~ p(·|I) per image
 * and minimises  −(1/N) Σ_k (r(w^k) − b_k) Σ_t log p(w^k_t),  r = CIDEr-D against the image's
 * references. Baseline b_k: the reward of the greedy caption (Rennie et al.), or the mean reward
 * of the other K−1 samples of the same image (Kool et al. 2019; no extra decode, and unbiased
 * because b_k does not depend on w^k).
 *
 * Hard attention (Xu et al. 2015, eq. 11-12) samples locations s_t ~ Multinoulli(α_t) and uses
 * r = log p(y | a, s) with a moving-average baseline b ← 0.9 b + 0.1 r, an entropy bonus
 * λ_e H[α_t], and with probability ½ per batch the expected context instead of a sample.
 */

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

/** Hard attention's baseline: b ← 0.9 b + 0.1 mean r (the first batch sets it). */
export function movingAverage(baseline: number | null, rewardMean: number, decay = 0.9): number {
  return baseline === null ? rewardMean : decay * baseline + (1 - decay) * rewardMean;
}

/** Hard attention: with probability ½ a batch trains on the expected context instead of sampled locations. */
export function useSampledLocations(rng: () => number): boolean {
  return rng() < 0.5;
}
