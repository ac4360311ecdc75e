// NanoDet-m's raw heads → boxes (Generalized Focal Loss decoding), used to compare it with
// CenterNet (scripts/eval-nanodet.ts); the service runs CenterNet.
//
// Per level (stride s ∈ {8, 16, 32}, a w×w grid) and cell (x, y): class scores (already sigmoid)
// and, for each side (left, top, right, bottom), a distribution over bins k = 0..K−1; the side's
// distance is its expectation Σ k·softmax(logits)_k, in strides. With the cell centre
// c = ((x + ½)·s, (y + ½)·s): box = (cx − l·s, cy − t·s, cx + r·s, cy + b·s). Then per-class NMS.
import { suppressOverlaps } from './nms.ts';
import type { RawDetection } from './types.ts';

export interface NanoDetLevel {
  /** [cells, classes] scores. */
  scores: Float32Array;
  /** [cells, 4·bins] side distributions (logits), side-major within a cell. */
  reg: Float32Array;
  stride: number;
  /** Cells per row. */
  width: number;
}

export interface NanoDetDecodeOptions {
  inputSize: number;
  minScore: number;
  classes?: number;
  /** Per-class NMS IoU (NanoDet's own default 0.6). */
  nmsIou?: number;
  maxDetections?: number;
}

/** Expected bin index of one side's distribution. */
function expectation(reg: Float32Array, offset: number, bins: number): number {
  let max = -Infinity;
  for (let k = 0; k < bins; k++) max = Math.max(max, reg[offset + k]);
  let sum = 0, weighted = 0;
  for (let k = 0; k < bins; k++) {
    const e = Math.exp(reg[offset + k] - max);
    sum += e;
    weighted += k * e;
  }
  return weighted / sum;
}

const clip01 = (v: number) => Math.min(1, Math.max(0, v));

export function decodeNanoDet(levels: NanoDetLevel[], opts: NanoDetDecodeOptions): RawDetection[] {
  const classes = opts.classes ?? 80;
  const byClass = new Map<number, RawDetection[]>();
  for (const { scores, reg, stride, width } of levels) {
    const cells = scores.length / classes;
    const bins = reg.length / cells / 4;
    for (let i = 0; i < cells; i++) {
      let box: [number, number, number, number] | undefined;
      for (let c = 0; c < classes; c++) {
        const score = scores[i * classes + c];
        if (score < opts.minScore) continue;
        if (!box) {
          const cx = ((i % width) + 0.5) * stride;
          const cy = (Math.floor(i / width) + 0.5) * stride;
          const [l, t, r, b] = [0, 1, 2, 3].map((side) => expectation(reg, (i * 4 + side) * bins, bins) * stride);
          box = [cx - l, cy - t, cx + r, cy + b].map((v) => clip01(v / opts.inputSize)) as [number, number, number, number];
        }
        const list = byClass.get(c) ?? [];
        list.push({ classIndex: c, score, x1: box[0], y1: box[1], x2: box[2], y2: box[3] });
        byClass.set(c, list);
      }
    }
  }
  const kept = [...byClass.values()].flatMap((list) => suppressOverlaps(list.sort((a, b) => b.score - a.score), opts.nmsIou ?? 0.6));
  return kept.sort((a, b) => b.score - a.score).slice(0, opts.maxDetections ?? 100);
}
