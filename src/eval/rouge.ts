// ROUGE-L exactly as coco-caption's rouge.py (beta = 1.2).
//
//   P = max_r LCS(h, r) / |h|      R = max_r LCS(h, r) / |r|     (maxima taken separately)
//   ROUGE-L = (1 + beta^2) P R / (R + beta^2 P), or 0 if P or R is 0
//
// Corpus score = mean of item scores.
import { tokenize } from './ngrams.ts';
import { checkItems, type CaptionItem } from './types.ts';

const BETA = 1.2;

/** Length of the longest common subsequence (my_lcs), one rolling DP row. */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  const row = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    let diag = 0; // row[j-1] of the previous i
    for (let j = 1; j <= b.length; j++) {
      const up = row[j];
      row[j] = a[i - 1] === b[j - 1] ? diag + 1 : Math.max(up, row[j - 1]);
      diag = up;
    }
  }
  return row[b.length];
}

/** calc_score in rouge.py for one hypothesis against its references. */
export function rougeLSentence(hypothesis: string, references: readonly string[]): number {
  const hyp = tokenize(hypothesis);
  // rouge.py splits "" into [""], a token that matches nothing, so an empty
  // hypothesis scores 0; return that directly instead of dividing by zero.
  if (hyp.length === 0) return 0;
  let precMax = 0;
  let recMax = 0;
  for (const refText of references) {
    const ref = tokenize(refText);
    const lcs = lcsLength(ref, hyp);
    precMax = Math.max(precMax, lcs / hyp.length);
    if (ref.length > 0) recMax = Math.max(recMax, lcs / ref.length);
  }
  if (precMax === 0 || recMax === 0) return 0;
  return ((1 + BETA ** 2) * precMax * recMax) / (recMax + BETA ** 2 * precMax);
}

export interface RougeScores {
  corpus: number;
  perItem: number[];
}

export function rougeL(items: readonly CaptionItem[]): RougeScores {
  checkItems(items);
  const perItem = items.map((it) => rougeLSentence(it.hypothesis, it.references));
  return { corpus: perItem.reduce((a, b) => a + b, 0) / perItem.length, perItem };
}
