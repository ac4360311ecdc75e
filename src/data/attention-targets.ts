// Pseudo-box targets for attention supervision (issue 18; Liu et al., "Attention Correctness in
// Neural Image Captioning", AAAI 2017). Flickr8k has no human boxes, so a COCO detector labels
// them: a caption word that names a COCO category (the pointing game's word list,
// src/grounding/categories.ts) is grounded when the detector finds that category in the
// photo with score ≥ threshold, and its target region is the union of those boxes on the h×w grid.
//
// Cell rule. The encoder squashes the image to a square, so cell (r, c) covers
// [c/w, (c+1)/w) × [r/h, (r+1)/h) in fractions of the image. A cell is in a box's region when
//   its centre ((c+½)/w, (r+½)/h) lies in the box (edges included), or
//   it is the cell that contains the box's own centre,
// the second so a box smaller than a cell (a distant dog) still has one cell, never none.
import { COCO_CATEGORIES, type RawDetection } from '../detector/types.ts';
import { categoryOf } from '../grounding/categories.ts';

export interface Grid {
  h: number;
  w: number;
}

/** The union of boxes (fractions of the image) on an h×w grid, by the cell rule above: 1 = in the region. */
export function rasterise(boxes: readonly Pick<RawDetection, 'x1' | 'y1' | 'x2' | 'y2'>[], grid: Grid): Uint8Array {
  const { h, w } = grid;
  const out = new Uint8Array(h * w);
  const clampCell = (x: number, n: number) => Math.min(n - 1, Math.max(0, Math.floor(x * n)));
  for (const b of boxes) {
    for (let r = 0; r < h; r++)
      for (let c = 0; c < w; c++) {
        const x = (c + 0.5) / w;
        const y = (r + 0.5) / h;
        if (x >= b.x1 && x <= b.x2 && y >= b.y1 && y <= b.y2) out[r * w + c] = 1;
      }
    out[clampCell((b.y1 + b.y2) / 2, h) * w + clampCell((b.x1 + b.x2) / 2, w)] = 1;
  }
  return out;
}

/** Each category the detector finds in one photo at score ≥ threshold → its region on the grid. */
export function categoryRegions(detections: readonly RawDetection[], threshold: number, grid: Grid): Map<string, Uint8Array> {
  const byCategory = new Map<string, RawDetection[]>();
  for (const d of detections) {
    if (d.score < threshold) continue;
    const name = COCO_CATEGORIES[d.classIndex];
    byCategory.set(name, [...(byCategory.get(name) ?? []), d]);
  }
  return new Map([...byCategory].map(([name, boxes]) => [name, rasterise(boxes, grid)]));
}

/** The target region of each word of a caption (undefined: the word names no detected object). */
export function wordRegions(words: readonly string[], regions: ReadonlyMap<string, Uint8Array>): (Uint8Array | undefined)[] {
  return words.map((word) => {
    const category = categoryOf(word);
    return category === undefined ? undefined : regions.get(category);
  });
}
