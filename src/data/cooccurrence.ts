// Distributional word similarity from caption text: words used in the same contexts ("two ___
// grazing in a field") are near. Vocabulary expansion (src/model/expand-vocab.ts) uses it to
// pick, for a word the decoder never learnt ("zebra"), the known word whose rows it copies
// ("horse"), as DCC does with word2vec (Hendricks et al. 2016).
//
//   count(w, c)  = times c occurs within ±window words of w (same caption)
//   PPMI(w, c)   = max(0, log( P(w,c) / (P(w) · P_α(c)) )),  P_α(c) = count(c)^α / Σ count^α
//   sim(w1, w2)  = cosine of the PPMI vectors
// α = 0.75 (context distribution smoothing, Levy, Goldberg & Dagan 2015) keeps rare contexts from
// dominating the vectors.
export interface ContextVectors {
  /** word → sparse PPMI vector (context word → weight) */
  vectors: Map<string, Map<string, number>>;
  /** word → occurrences in the text (targets only) */
  counts: Map<string, number>;
}

/** PPMI context vectors of `targets` from tokenised captions. */
export function contextVectors(captions: Iterable<readonly string[]>, targets: ReadonlySet<string>, opts: { window?: number; alpha?: number; skip?: ReadonlySet<string> } = {}): ContextVectors {
  const { window = 2, alpha = 0.75, skip } = opts;
  const pair = new Map<string, Map<string, number>>();
  const ctxCount = new Map<string, number>();
  const wordCount = new Map<string, number>(); // context slots of w
  const counts = new Map<string, number>(); // occurrences of w
  let total = 0;
  for (const words of captions) {
    for (let i = 0; i < words.length; i++) {
      if (targets.has(words[i])) counts.set(words[i], (counts.get(words[i]) ?? 0) + 1);
      const lo = Math.max(0, i - window), hi = Math.min(words.length - 1, i + window);
      for (let j = lo; j <= hi; j++) {
        const c = words[j];
        if (j === i || skip?.has(c)) continue;
        ctxCount.set(c, (ctxCount.get(c) ?? 0) + 1);
        total++;
        const w = words[i];
        if (!targets.has(w)) continue;
        wordCount.set(w, (wordCount.get(w) ?? 0) + 1);
        let row = pair.get(w);
        if (!row) pair.set(w, (row = new Map()));
        row.set(c, (row.get(c) ?? 0) + 1);
      }
    }
  }
  let smoothed = 0;
  for (const n of ctxCount.values()) smoothed += Math.pow(n, alpha);
  const vectors = new Map<string, Map<string, number>>();
  for (const [w, row] of pair) {
    const v = new Map<string, number>();
    const pw = wordCount.get(w)! / total;
    for (const [c, n] of row) {
      const pmi = Math.log(n / total / (pw * (Math.pow(ctxCount.get(c)!, alpha) / smoothed)));
      if (pmi > 0) v.set(c, pmi);
    }
    vectors.set(w, v);
  }
  return { vectors, counts };
}

/** Cosine similarity of two words' vectors (0 when either has none). */
export function similarity(cv: ContextVectors, a: string, b: string): number {
  const va = cv.vectors.get(a), vb = cv.vectors.get(b);
  if (!va || !vb) return 0;
  let dot = 0, na = 0, nb = 0;
  for (const [c, x] of va) {
    na += x * x;
    const y = vb.get(c);
    if (y !== undefined) dot += x * y;
  }
  for (const y of vb.values()) nb += y * y;
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}

/** The candidate most similar to `word` (ties: the earlier candidate), with its similarity. */
export function nearest(cv: ContextVectors, word: string, candidates: readonly string[]): { word: string; similarity: number } | undefined {
  let best: { word: string; similarity: number } | undefined;
  for (const c of candidates) {
    const s = similarity(cv, word, c);
    if (s > 0 && (!best || s > best.similarity)) best = { word: c, similarity: s };
  }
  return best;
}
