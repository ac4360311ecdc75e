// BLEU-1..4 exactly as coco-caption's bleu_scorer.py (Bleu(4), option 'closest').
//
//   p_k   = (correct_k + TINY) / (guess_k + SMALL)       clipped k-gram precision
//   BLEU_k = (p_1 * ... * p_k)^(1/k) * BP
//   BP    = exp(1 - 1/r) if r < 1 else 1,  r = (testlen + TINY) / (reflen + SMALL)
//
// Corpus scores sum correct/guess/testlen/reflen over all items first; per-item
// scores apply the same formula to one item. reflen is the reference length
// closest to the hypothesis length (ties -> the shorter one).
import { countNgrams, tokenize } from './ngrams.ts';
import { checkItems, type CaptionItem } from './types.ts';

const N = 4;
const TINY = 1e-15; // keeps a zero match count from giving log(0)
const SMALL = 1e-9; // avoids division by zero when there are no k-grams

/** Sufficient statistics of one item (cook_test in bleu_scorer.py). */
interface BleuStats {
  testlen: number;
  reflen: number;
  guess: number[]; // number of hypothesis k-grams
  correct: number[]; // clipped matches: min(count in hyp, max count in any ref)
}

/** Closest reference length; Python's min over (|l - testlen|, l) breaks ties to the shorter. */
function closestRefLen(refLens: number[], testlen: number): number {
  let best = refLens[0];
  for (const l of refLens) {
    const d = Math.abs(l - testlen);
    const bd = Math.abs(best - testlen);
    if (d < bd || (d === bd && l < best)) best = l;
  }
  return best;
}

function itemStats(item: CaptionItem): BleuStats {
  const hyp = tokenize(item.hypothesis);
  const refs = item.references.map(tokenize);
  // Max count of each k-gram over the references (cook_refs).
  const maxRef = countNgrams([], N);
  for (const ref of refs) {
    countNgrams(ref, N).forEach((m, k) => {
      for (const [g, c] of m) maxRef[k].set(g, Math.max(maxRef[k].get(g) ?? 0, c));
    });
  }
  const hypCounts = countNgrams(hyp, N);
  const correct = hypCounts.map((m, k) => {
    let s = 0;
    for (const [g, c] of m) s += Math.min(maxRef[k].get(g) ?? 0, c);
    return s;
  });
  const guess = Array.from({ length: N }, (_, k) => Math.max(0, hyp.length - k));
  return {
    testlen: hyp.length,
    reflen: closestRefLen(refs.map((r) => r.length), hyp.length),
    guess,
    correct,
  };
}

/** BLEU-1..4 from (possibly summed) statistics, same operation order as compute_score. */
function bleuFromStats(s: BleuStats): number[] {
  const out: number[] = [];
  let prod = 1;
  for (let k = 0; k < N; k++) {
    prod *= (s.correct[k] + TINY) / (s.guess[k] + SMALL);
    out.push(prod ** (1 / (k + 1)));
  }
  const ratio = (s.testlen + TINY) / (s.reflen + SMALL);
  if (ratio < 1) {
    const bp = Math.exp(1 - 1 / ratio); // brevity penalty
    for (let k = 0; k < N; k++) out[k] *= bp;
  }
  return out;
}

export interface BleuScores {
  /** Corpus BLEU-1..4. */
  corpus: number[];
  /** Per-item BLEU-1..4, each with its own closest reference length. */
  perItem: number[][];
}

export function bleu(items: readonly CaptionItem[]): BleuScores {
  checkItems(items);
  const stats = items.map(itemStats);
  const total: BleuStats = { testlen: 0, reflen: 0, guess: [0, 0, 0, 0], correct: [0, 0, 0, 0] };
  for (const s of stats) {
    total.testlen += s.testlen;
    total.reflen += s.reflen;
    for (let k = 0; k < N; k++) {
      total.guess[k] += s.guess[k];
      total.correct[k] += s.correct[k];
    }
  }
  return { corpus: bleuFromStats(total), perItem: stats.map(bleuFromStats) };
}
