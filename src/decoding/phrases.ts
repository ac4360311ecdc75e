// Two-word names for the COCO categories the vocabulary has no single word for ("stop sign",
// "traffic light", "wine glass", "potted plant", "baseball bat"). When the evidence is confident
// about such a category, its first word becomes that image's object word for it (boosted, and
// taking unsupported words' probability like any object word), and once it is said the search
// must finish the name: "a man standing next to a stop sign", never "a stop".
import { COCO_CATEGORIES } from '../detector/types.ts';
import { categoryOf, PHRASES } from '../grounding/categories.ts';

/** (first word, second word, category) for every `wanted` category without a word whose two-word name the vocabulary can spell. */
export function phraseNames(words: readonly string[], nameable: Uint8Array, wanted: (category: number) => boolean): Int32Array {
  const ids = new Map(words.map((w, i) => [w, i]));
  const out: number[] = [];
  COCO_CATEGORIES.forEach((category, c) => {
    if (nameable[c] || !wanted(c)) return;
    const names = Object.keys(PHRASES).filter((p) => PHRASES[p] === category);
    // The singular spellings ("wine glass", not "wine glasses"), whose first word names nothing by
    // itself ("baseball" alone would be a ball).
    const singular = names.filter((p) => !names.some((q) => p === `${q}s` || p === `${q}es`));
    for (const [head, tail, ...rest] of singular.map((p) => p.split(' '))) {
      if (rest.length || tail === undefined || categoryOf(head) !== undefined || !ids.has(head) || !ids.has(tail)) continue;
      out.push(ids.get(head)!, ids.get(tail)!, c);
      return;
    }
  });
  return Int32Array.from(out);
}
