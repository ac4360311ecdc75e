// The pointing game (Zhang et al. 2016) for per-word attention maps: does the map of a word
// that names an object peak inside a box of that object?
//
// Geometry. The encoder squashes the whole image to a square (no crop), so grid cell (r, c) of
// an h×w map covers [c·W/w, (c+1)·W/w) × [r·H/h, (r+1)·H/h) of the W×H original, and its centre
// is ((c+½)·W/w, (r+½)·H/h). Boxes are COCO [x, y, width, height] in original pixels.
//
//   hit    = the argmax cell's centre lies in one of the category's boxes
//   mass   = Σ_cells α_cell · (fraction of the cell covered by the union of the boxes)
// Baselines on the same words:
//   centre  hit: the image centre (W/2, H/2) lies in a box;  mass: a uniform map, i.e. the
//           fraction of the image the boxes cover
//   random  hit: the expected hit rate of a uniformly random cell = the fraction of cells whose
//           centre lies in a box (an expectation, so it has no sampling noise)
// Sharpness of the map, whatever the boxes: max α (uniform: 1/(h·w)) and the mass of its 5 largest cells.

export type Box = readonly [x: number, y: number, width: number, height: number];

export interface Geometry {
  width: number; // original image, pixels
  height: number;
  grid: { h: number; w: number };
}

const inBox = (x: number, y: number, [bx, by, bw, bh]: Box) => x >= bx && x <= bx + bw && y >= by && y <= by + bh;
const inAny = (x: number, y: number, boxes: readonly Box[]) => boxes.some((b) => inBox(x, y, b));

function cellCentre(g: Geometry, cell: number): [number, number] {
  const r = Math.floor(cell / g.grid.w);
  const c = cell % g.grid.w;
  return [((c + 0.5) * g.width) / g.grid.w, ((r + 0.5) * g.height) / g.grid.h];
}

/** Fraction of each cell covered by the union of the boxes (exact for one box; union by inclusion of sub-rectangles). */
export function cellCoverage(g: Geometry, boxes: readonly Box[]): Float64Array {
  const { h, w } = g.grid;
  const cw = g.width / w;
  const ch = g.height / h;
  const out = new Float64Array(h * w);
  // The union of axis-aligned boxes, exactly: split the cell by every box edge inside it, and
  // count each elementary rectangle whose centre is in some box.
  for (let r = 0; r < h; r++)
    for (let c = 0; c < w; c++) {
      const x0 = c * cw, x1 = x0 + cw, y0 = r * ch, y1 = y0 + ch;
      const xs = [x0, x1, ...boxes.flatMap(([bx, , bw]) => [bx, bx + bw]).filter((x) => x > x0 && x < x1)].sort((a, b) => a - b);
      const ys = [y0, y1, ...boxes.flatMap(([, by, , bh]) => [by, by + bh]).filter((y) => y > y0 && y < y1)].sort((a, b) => a - b);
      let area = 0;
      for (let i = 0; i + 1 < xs.length; i++)
        for (let j = 0; j + 1 < ys.length; j++) {
          const dx = xs[i + 1] - xs[i], dy = ys[j + 1] - ys[j];
          if (dx > 0 && dy > 0 && inAny((xs[i] + xs[i + 1]) / 2, (ys[j] + ys[j + 1]) / 2, boxes)) area += dx * dy;
        }
      out[r * w + c] = area / (cw * ch);
    }
  return out;
}

export interface PointingScore {
  hit: boolean;
  mass: number;
  centreHit: boolean;
  uniformMass: number;
  randomHit: number; // expected
  maxAlpha: number;
  top5Mass: number;
}

/** Scores one word's attention map α (length h·w, sums to 1) against its category's boxes. */
export function scorePointing(alpha: ArrayLike<number>, boxes: readonly Box[], g: Geometry): PointingScore {
  const L = g.grid.h * g.grid.w;
  if (alpha.length !== L) throw new Error(`map has ${alpha.length} cells, grid ${g.grid.h}x${g.grid.w} has ${L}`);
  if (!boxes.length) throw new Error('no boxes to point at');
  let best = 0;
  for (let i = 1; i < L; i++) if (alpha[i] > alpha[best]) best = i;
  const cover = cellCoverage(g, boxes);
  let mass = 0;
  let uniform = 0;
  let centres = 0;
  for (let i = 0; i < L; i++) {
    mass += alpha[i] * cover[i];
    uniform += cover[i] / L;
    if (inAny(...cellCentre(g, i), boxes)) centres++;
  }
  const top5Mass = Array.from(alpha).sort((a, b) => b - a).slice(0, 5).reduce((a, b) => a + b, 0);
  return { hit: inAny(...cellCentre(g, best), boxes), mass, centreHit: inAny(g.width / 2, g.height / 2, boxes), uniformMass: uniform, randomHit: centres / L, maxAlpha: alpha[best], top5Mass };
}

export interface PointingSummary {
  words: number; // grounded word occurrences scored
  hitRate: number;
  mass: number;
  centreHitRate: number;
  uniformMass: number;
  randomHitRate: number;
  maxAlpha: number; // mean over words
  top5Mass: number; // mean over words
}

export function summarise(scores: readonly PointingScore[]): PointingSummary {
  const n = scores.length;
  const avg = (f: (s: PointingScore) => number) => (n ? scores.reduce((a, s) => a + f(s), 0) / n : 0);
  return {
    words: n,
    hitRate: avg((s) => +s.hit),
    mass: avg((s) => s.mass),
    centreHitRate: avg((s) => +s.centreHit),
    uniformMass: avg((s) => s.uniformMass),
    randomHitRate: avg((s) => s.randomHit),
    maxAlpha: avg((s) => s.maxAlpha),
    top5Mass: avg((s) => s.top5Mass),
  };
}
