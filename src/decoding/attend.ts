// The attention rule of the grounding (`attend`, off by default): among the object words the
// evidence allows, prefer those whose detected boxes the step's attention map falls on, as Neural
// Baby Talk (Lu et al., CVPR 2018) fills a slot with the detected region the model attends to.
// The map is α_t, the one that predicts the word, so a word chosen this way is one the model was
// looking at, and its map points at it. The lift of a category c with boxes R_c:
//   lift_c = Σ_{i∈R_c} α_ti / (|R_c| / L)      (1: no more than a uniform map; clamped to e^±3)
// and its words get + κ · log lift_c before λ's renormalisation (src/decoding/grounding.ts).
import { categoryRegions, type Grid } from '../data/attention-targets.ts';
import { COCO_CATEGORIES, type RawDetection } from '../detector/types.ts';

/** One detected category's cells on the attention grid (cell rule of src/data/attention-targets.ts). */
export interface AttendRegion {
  category: number;
  cells: Int32Array;
  /** |cells| / L: the mass a uniform map puts in them */
  share: number;
}

/** The cells of each category's boxes (score ≥ floor) on the grid. */
export function attendRegions(detections: readonly RawDetection[], floor: number, grid: Grid): AttendRegion[] {
  const L = grid.h * grid.w;
  return [...categoryRegions(detections, floor, grid)].map(([name, mask]) => {
    const cells = Int32Array.from(mask.keys()).filter((i) => mask[i]);
    return { category: COCO_CATEGORIES.indexOf(name as (typeof COCO_CATEGORIES)[number]), cells, share: cells.length / L };
  });
}

/** [80] κ · log(lift) per category with boxes (0 elsewhere) for one step's map α; undefined when off. */
export function attentionBias(attend: number, regions: readonly AttendRegion[], alpha: Float32Array): Float32Array | undefined {
  if (!attend || !regions.length || !alpha.length) return undefined;
  const out = new Float32Array(COCO_CATEGORIES.length);
  for (const r of regions) {
    let mass = 0;
    for (const i of r.cells) mass += alpha[i];
    out[r.category] = attend * Math.max(-3, Math.min(3, Math.log(mass / r.share)));
  }
  return out;
}

