// CIDEr-D exactly as coco-caption's pyciderevalcap/ciderD/ciderD_scorer.py
// (df_mode "corpus", n = 4, sigma = 6).
//
//   g_k(s)[w] = tf(w in s) * (log(numImages) - log(max(1, df(w))))      tf-idf vector
//   sim_k(h, r) = sum_w min(g_k(h)[w], g_k(r)[w]) * g_k(r)[w] / (|g_k(h)| |g_k(r)|)
//                 * exp(-(len_h - len_r)^2 / (2 sigma^2))               clip + length penalty
//   CIDEr-D(h, R) = 10 * mean_k( sum_{r in R} sim_k(h, r) / |R| )
//
// df(w) = number of images whose reference set contains w (whole evaluated
// corpus). Corpus score = mean of item scores.
import { countNgrams, tokenize } from './ngrams.ts';
import { checkItems, type CaptionItem } from './types.ts';

const N = 4;
const SIGMA = 6;

interface TfIdf {
  vec: Map<string, number>[]; // per order
  norm: number[]; // per order
  length: number;
}

/** counts2vec in ciderD_scorer.py. */
function toVec(counts: Map<string, number>[], df: Map<string, number>, refLen: number): TfIdf {
  const vec = counts.map(() => new Map<string, number>());
  const norm = new Array<number>(N).fill(0);
  let length = 0;
  counts.forEach((m, k) => {
    for (const [g, tf] of m) {
      const v = tf * (refLen - Math.log(Math.max(1, df.get(g) ?? 0)));
      vec[k].set(g, v);
      norm[k] += v * v;
    }
  });
  // Faithful quirk: the reference adds term_freq when its 0-based order index
  // n == 1, so "length" counts BIGRAMS (words - 1). The difference of two such
  // lengths equals the word-length difference unless a caption is empty, and
  // then the score is 0 anyway; kept literal so the code reads like the original.
  for (const tf of counts[1].values()) length += tf;
  return { vec, norm: norm.map(Math.sqrt), length };
}

/** sim in ciderD_scorer.py: clipped cosine per order times Gaussian length penalty. */
function sim(h: TfIdf, r: TfIdf): number[] {
  const delta = h.length - r.length;
  const penalty = Math.exp(-(delta * delta) / (2 * SIGMA * SIGMA));
  return h.vec.map((hv, k) => {
    let val = 0;
    for (const [g, x] of hv) {
      const y = r.vec[k].get(g) ?? 0;
      val += Math.min(x, y) * y;
    }
    if (h.norm[k] !== 0 && r.norm[k] !== 0) val /= h.norm[k] * r.norm[k];
    return val * penalty;
  });
}

export interface CiderScores {
  corpus: number;
  perItem: number[];
}

/**
 * CIDEr-D against a fixed corpus of reference sets: document frequencies come from `refSets`
 * (one set per image). ciderD() below uses the evaluated items themselves; self-critical
 * training uses the training references, so a sampled caption's reward does not depend on the
 * other captions of its batch.
 */
export class CiderD {
  private readonly df = new Map<string, number>();
  private readonly refLen: number;
  private readonly refVecs: TfIdf[][];

  constructor(refSets: readonly (readonly string[])[]) {
    const refs = refSets.map((set) => set.map((r) => countNgrams(tokenize(r), N)));
    // Document frequency: each image's reference set counts once per n-gram.
    for (const refSet of refs) {
      const seen = new Set<string>();
      for (const counts of refSet) for (const m of counts) for (const g of m.keys()) seen.add(g);
      for (const g of seen) this.df.set(g, (this.df.get(g) ?? 0) + 1);
    }
    this.refLen = Math.log(refSets.length);
    this.refVecs = refs.map((set) => set.map((r) => toVec(r, this.df, this.refLen)));
  }

  /** CIDEr-D of `hypothesis` against reference set `index`. */
  score(hypothesis: string, index: number): number {
    const h = toVec(countNgrams(tokenize(hypothesis), N), this.df, this.refLen);
    const refs = this.refVecs[index];
    const score = new Array<number>(N).fill(0);
    for (const r of refs) sim(h, r).forEach((v, k) => (score[k] += v));
    const mean = score.reduce((a, b) => a + b, 0) / N;
    return (mean / refs.length) * 10;
  }
}

/** CIDEr-D over a corpus. Note: with a single item log(numImages) = 0 and every score is 0. */
export function ciderD(items: readonly CaptionItem[]): CiderScores {
  checkItems(items);
  const scorer = new CiderD(items.map((it) => it.references));
  const perItem = items.map((it, i) => scorer.score(it.hypothesis, i));
  const corpus = perItem.reduce((a, b) => a + b, 0) / perItem.length;
  return { corpus, perItem };
}
