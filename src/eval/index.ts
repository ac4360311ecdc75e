// Caption metrics computed like the coco-caption toolkit (BLEU, CIDEr-D, ROUGE-L).
// METEOR is intentionally absent: it needs the Java METEOR 1.5 jar and its
// paraphrase tables, and an approximation would not be comparable to papers.
import { bleu } from './bleu.ts';
import { ciderD } from './cider.ts';
import { rougeL } from './rouge.ts';
import type { CaptionItem } from './types.ts';

export type { CaptionItem } from './types.ts';
export { bleu } from './bleu.ts';
export { ciderD, CiderD } from './cider.ts';
export { rougeL, rougeLSentence, lcsLength } from './rouge.ts';
export { tokenize } from './ngrams.ts';

export interface ItemScores {
  bleu: number[]; // BLEU-1..4
  ciderD: number;
  rougeL: number;
}

export interface CaptionScores {
  bleu1: number;
  bleu2: number;
  bleu3: number;
  bleu4: number;
  ciderD: number;
  rougeL: number;
  perItem: ItemScores[];
}

/** Score a whole evaluation set (CIDEr-D document frequencies come from these items). */
export function scoreAll(items: readonly CaptionItem[]): CaptionScores {
  const b = bleu(items);
  const c = ciderD(items);
  const r = rougeL(items);
  return {
    bleu1: b.corpus[0],
    bleu2: b.corpus[1],
    bleu3: b.corpus[2],
    bleu4: b.corpus[3],
    ciderD: c.corpus,
    rougeL: r.corpus,
    perItem: items.map((_, i) => ({ bleu: b.perItem[i], ciderD: c.perItem[i], rougeL: r.perItem[i] })),
  };
}

/** One-line table, scores ×100 as papers report them. */
export function formatScores(s: Omit<CaptionScores, 'perItem'>): string {
  const cols: [string, number][] = [
    ['BLEU-1', s.bleu1],
    ['BLEU-2', s.bleu2],
    ['BLEU-3', s.bleu3],
    ['BLEU-4', s.bleu4],
    ['CIDEr-D', s.ciderD],
    ['ROUGE-L', s.rougeL],
  ];
  return cols.map(([name, v]) => `${name} ${(v * 100).toFixed(2)}`).join(' | ');
}
