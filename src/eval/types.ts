/** One caption to score: a hypothesis and its human references (normalised text). */
export interface CaptionItem {
  hypothesis: string;
  references: string[];
}

/** Reject inputs on which the coco-caption scorers would crash (they assert). */
export function checkItems(items: readonly CaptionItem[]): void {
  if (items.length === 0) throw new Error('caption metrics need at least one item');
  items.forEach((it, i) => {
    if (it.references.length === 0) throw new Error(`item ${i} has no references`);
  });
}
