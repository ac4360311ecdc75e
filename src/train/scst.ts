import { END_ID, START_ID } from '../data/vocab.ts';
import type { CiderD } from '../eval/cider.ts';
import { deriveSeed } from '../util/rng.ts';
import { ciderRewards, greedyAdvantages, leaveOneOutAdvantages } from '../model/reinforce.ts';
import type { GradWorker } from './workers.ts';

/**
 * One self-critical step (Rennie et al. 2017) on a batch of images: sample K captions per
 * image with the current parameters, reward each by CIDEr-D against the image's training
 * references, and leave in `grad` the gradient of −(1/N) Σ (r − b) Σ_t log p(w_t) (N = words).
 * The rewards, baselines and the estimator are in src/model/reinforce.ts.
 */
export interface ScstBatch {
  rows: Int32Array; // feature row per image
  refs: Int32Array; // reference-set index (in `scorer`) per image
}

export interface ScstOptions {
  samples: number; // K
  baseline: 'mean' | 'greedy';
  maxLength: number;
  seed: number;
  regScalePerCaption: number; // λ / L: the doubly stochastic term, per caption
  chunk: number; // captions per gradient call (sorted by length, padded within a chunk)
}

export interface ScstStats {
  rewardMean: number; // mean CIDEr-D of the samples
  greedyMean?: number; // mean CIDEr-D of the greedy captions (greedy baseline)
  nllSum: number;
  regSum: number;
  tokens: number;
  captions: number;
}

export async function selfCriticalStep(
  workers: GradWorker[],
  workerGrads: Float32Array[],
  grad: Float32Array,
  scorer: CiderD,
  words: readonly string[],
  batch: ScstBatch,
  o: ScstOptions,
): Promise<ScstStats> {
  const B = batch.rows.length;
  const K = o.samples;
  // 1. sample, the images split across workers
  const shards = workers.map((_, w) => [Math.floor((w * B) / workers.length), Math.floor(((w + 1) * B) / workers.length)] as const);
  const replies = await Promise.all(
    shards.map(([a, b], w) =>
      b > a ? workers[w].sample({ rows: batch.rows.slice(a, b), samples: K, greedy: o.baseline === 'greedy', maxLength: o.maxLength, seed: deriveSeed(o.seed, w) }) : undefined,
    ),
  );
  const sampled = replies.flatMap((r) => r?.sampled ?? []);
  const greedy = replies.flatMap((r) => r?.greedy ?? []);
  // 2. rewards and advantages
  const rewards = ciderRewards(scorer, words, sampled, batch.refs, K);
  const greedyRewards = o.baseline === 'greedy' ? ciderRewards(scorer, words, greedy, batch.refs, 1) : undefined;
  const advantages = greedyRewards ? greedyAdvantages(rewards, greedyRewards, K) : leaveOneOutAdvantages(rewards, K);

  // 3. gradient of the advantage-weighted log-likelihood, captions sorted by length so that
  //    padding within a chunk is small; chunks go round-robin to the workers.
  const order = sampled.map((_, i) => i).sort((a, b) => sampled[a].length - sampled[b].length);
  const chunks: number[][] = [];
  for (let i = 0; i < order.length; i += o.chunk) chunks.push(order.slice(i, i + o.chunk));
  const totalTokens = sampled.reduce((s, ids) => s + ids.length + 1, 0);
  const stats: ScstStats = { rewardMean: mean(rewards), greedyMean: greedyRewards && mean(greedyRewards), nllSum: 0, regSum: 0, tokens: 0, captions: sampled.length };
  grad.fill(0);
  for (let r = 0; r < chunks.length; r += workers.length) {
    const round = chunks.slice(r, r + workers.length);
    const res = await Promise.all(
      round.map((ids, w) => {
        const T = Math.max(...ids.map((i) => sampled[i].length)) + 1;
        const tokens = new Int32Array(ids.length * (T + 1)); // <pad> = 0 after <end>
        ids.forEach((i, k) => tokens.set([START_ID, ...sampled[i], END_ID], k * (T + 1)));
        return workers[w].step({
          rows: Int32Array.from(ids, (i) => batch.rows[Math.floor(i / K)]),
          tokens, B: ids.length, T,
          opts: {
            sampled: false, dropout: 0, seed: deriveSeed(o.seed, r, w, 7),
            tokenScale: 1 / totalTokens, regScale: o.regScalePerCaption / sampled.length,
            captionWeights: Float32Array.from(ids, (i) => advantages[i]),
          },
        });
      }),
    );
    round.forEach((_, w) => {
      const g = workerGrads[w];
      for (let i = 0; i < grad.length; i++) grad[i] += g[i];
    });
    for (const s of res) {
      stats.nllSum += s.nllSum;
      stats.regSum += s.regSum;
      stats.tokens += s.tokens;
    }
  }
  return stats;
}

function mean(xs: Float32Array): number {
  return xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
}
