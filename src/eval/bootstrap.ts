// Paired bootstrap over images (Koehn 2004): is model A's mean per-image score above model B's by
// more than resampling the test photos would explain? CIDEr-D is a mean of per-image scores, so
// resampling images resamples the corpus score.
import { mulberry32 } from '../util/rng.ts';

export interface PairedBootstrap {
  diff: number; // mean of a − b
  low: number; // 2.5th percentile of the resampled means
  high: number; // 97.5th percentile
  aBetter: number; // share of resamples where a − b > 0
}

export function pairedBootstrap(a: readonly number[], b: readonly number[], resamples = 2000, seed = 0): PairedBootstrap {
  if (a.length !== b.length || a.length === 0) throw new Error(`need two equal, non-empty lists of per-image scores (got ${a.length} and ${b.length})`);
  const d = a.map((x, i) => x - b[i]);
  const n = d.length;
  const rng = mulberry32(seed);
  const means = Array.from({ length: resamples }, () => {
    let s = 0;
    for (let k = 0; k < n; k++) s += d[Math.floor(rng() * n)];
    return s / n;
  }).sort((x, y) => x - y);
  const at = (q: number) => means[Math.min(resamples - 1, Math.floor(q * resamples))];
  return { diff: d.reduce((s, x) => s + x, 0) / n, low: at(0.025), high: at(0.975), aBetter: means.filter((m) => m > 0).length / resamples };
}
