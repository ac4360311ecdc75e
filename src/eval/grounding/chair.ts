// Object hallucination and object recall of generated captions (Rohrbach et al. 2018, "Object
// Hallucination in Image Captioning"), on images with COCO boxes and several human captions.
//
// An object mention is a word or two-word phrase that names a COCO category (objectMentions in
// categories.ts: the documented word list, every occurrence counts). For one image, its truth is
// the categories that are boxed in it or named by any of its human captions:
//   CHAIR_i = Σ mentions whose category is not in the truth / Σ mentions        (over all captions)
//   CHAIR_s = captions with ≥ 1 such mention / captions
// Recall asks the other way round, of the objects people agree on: per image, the categories that
// at least 2 of its human captions name;
//   recall  = Σ those the caption names / Σ those                                (micro average)
import { objectMentions } from '../../grounding/categories.ts';

export interface ChairItem {
  image: string;
  caption: string; // generated, normalised (lower case, tokens split by spaces)
  references: readonly string[]; // human captions, normalised
  boxed: ReadonlySet<string>; // categories with a box in the image
}

export interface ChairItemScore {
  image: string;
  mentions: string[]; // categories the caption names, per mention
  hallucinated: string[]; // of those, the ones not in the truth
  agreed: string[]; // categories ≥ 2 human captions name
  recalled: string[]; // of those, the ones the caption names
}

export interface ChairResult {
  chairI: number;
  chairS: number;
  recall: number;
  mentions: number;
  hallucinated: number;
  agreed: number;
  recalled: number;
  captions: number;
  items: ChairItemScore[];
}

/** Minimum number of human captions naming a category for recall to expect it. */
export const AGREEMENT = 2;

export function scoreChairItem(it: ChairItem): ChairItemScore {
  const named = it.references.map((r) => new Set(objectMentions(r.split(' ')).map((m) => m.category)));
  const truth = new Set([...it.boxed, ...named.flatMap((s) => [...s])]);
  const votes = new Map<string, number>();
  for (const s of named) for (const c of s) votes.set(c, (votes.get(c) ?? 0) + 1);
  const agreed = [...votes].filter(([, n]) => n >= AGREEMENT).map(([c]) => c).sort();
  const mentions = objectMentions(it.caption.split(' ').filter(Boolean)).map((m) => m.category);
  const said = new Set(mentions);
  return { image: it.image, mentions, hallucinated: mentions.filter((c) => !truth.has(c)), agreed, recalled: agreed.filter((c) => said.has(c)) };
}

export function chair(items: readonly ChairItem[]): ChairResult {
  const scored = items.map(scoreChairItem);
  const sum = (f: (s: ChairItemScore) => number) => scored.reduce((a, s) => a + f(s), 0);
  const mentions = sum((s) => s.mentions.length);
  const hallucinated = sum((s) => s.hallucinated.length);
  const agreed = sum((s) => s.agreed.length);
  const recalled = sum((s) => s.recalled.length);
  return {
    chairI: mentions ? hallucinated / mentions : 0,
    chairS: scored.length ? sum((s) => +(s.hallucinated.length > 0)) / scored.length : 0,
    recall: agreed ? recalled / agreed : 0,
    mentions, hallucinated, agreed, recalled,
    captions: scored.length,
    items: scored,
  };
}

export function formatChair(r: ChairResult): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  return `objects: CHAIR_i ${pct(r.chairI)} (${r.hallucinated}/${r.mentions} mentions) | CHAIR_s ${pct(r.chairS)} (${r.captions} captions) | recall ${pct(r.recall)} (${r.recalled}/${r.agreed} objects ≥${AGREEMENT} people name)`;
}
