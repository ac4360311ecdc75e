// Shared tokenising / n-gram counting for the coco-caption metrics.
// Inputs are already normalised (lowercase, no punctuation), so a whitespace
// split is all the coco-caption scorers would do after PTBTokenizer.

/** Split a normalised caption into tokens (empty string -> no tokens). */
export function tokenize(text: string): string[] {
  return text.split(/\s+/).filter((t) => t.length > 0);
}

/**
 * Counts of every n-gram of order 1..n, one Map per order (index k-1 holds
 * k-grams). Keys join tokens with a space, which is unambiguous because
 * tokens never contain whitespace. Mirrors `precook` in bleu_scorer.py /
 * cider_scorer.py.
 */
export function countNgrams(tokens: string[], n = 4): Map<string, number>[] {
  const counts: Map<string, number>[] = [];
  for (let k = 1; k <= n; k++) {
    const m = new Map<string, number>();
    for (let i = 0; i + k <= tokens.length; i++) {
      const key = tokens.slice(i, i + k).join(' ');
      m.set(key, (m.get(key) ?? 0) + 1);
    }
    counts.push(m);
  }
  return counts;
}
