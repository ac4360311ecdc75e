// Runs the pointing game over captioned images: every generated word that names a COCO
// category present in the image is scored with its own attention map (see pointing.ts).
import { categoryOf } from '../../grounding/categories.ts';
import type { ImageObjects } from './instances.ts';
import { scorePointing, summarise, type PointingScore, type PointingSummary } from './pointing.ts';

export interface CaptionedMaps {
  image: string;
  words: string[];
  alphas: ArrayLike<number>[]; // α_t per word
  grids?: ({ h: number; w: number } | undefined)[]; // per word, when its map is not on the game's grid (fine focus maps)
}

export interface PointingResult {
  overall: PointingSummary;
  perCategory: Record<string, PointingSummary>;
  /** Words that name a category the image has no box for (hallucinated or unannotated objects). */
  ungrounded: { words: number; byCategory: Record<string, number> };
  items: ({ image: string; word: string; index: number; category: string } & PointingScore)[];
}

export function pointingGame(captions: readonly CaptionedMaps[], objects: ReadonlyMap<string, ImageObjects>, grid: { h: number; w: number }): PointingResult {
  const items: PointingResult['items'] = [];
  const ungrounded = { words: 0, byCategory: {} as Record<string, number> };
  for (const c of captions) {
    const obj = objects.get(c.image);
    if (!obj) throw new Error(`${c.image} has no entry in the instances file`);
    c.words.forEach((word, index) => {
      const category = categoryOf(word);
      if (!category) return;
      const boxes = obj.boxes.get(category);
      if (!boxes?.length) {
        ungrounded.words++;
        ungrounded.byCategory[category] = (ungrounded.byCategory[category] ?? 0) + 1;
        return;
      }
      items.push({ image: c.image, word, index, category, ...scorePointing(c.alphas[index], boxes, { width: obj.width, height: obj.height, grid: c.grids?.[index] ?? grid }) });
    });
  }
  const perCategory: Record<string, PointingSummary> = {};
  for (const cat of [...new Set(items.map((i) => i.category))].sort()) perCategory[cat] = summarise(items.filter((i) => i.category === cat));
  return { overall: summarise(items), perCategory, ungrounded, items };
}

export function formatPointing(r: PointingResult): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const o = r.overall;
  return `pointing game: ${o.words} grounded words | hit ${pct(o.hitRate)} (centre ${pct(o.centreHitRate)}, random cell ${pct(o.randomHitRate)}) | mass in boxes ${pct(o.mass)} (uniform ${pct(o.uniformMass)}) | max α ${o.maxAlpha.toFixed(3)}, top-5 mass ${pct(o.top5Mass)} | ${r.ungrounded.words} object words with no box`;
}
