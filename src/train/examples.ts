// Training captions as token ids, each with the attention targets of its grounded words.
import type { Vocabulary } from '../data/vocab.ts';
import { tokenize } from '../data/tokenize.ts';
import { categoryRegions, wordRegions, type Grid } from '../data/attention-targets.ts';
import type { RawDetection } from '../detector/types.ts';
import type { Example } from './batches.ts';

export interface TargetOptions {
  detections: ReadonlyMap<string, RawDetection[]>;
  threshold: number; // detector score
  grid: Grid;
}

export interface BuiltExamples {
  examples: Example[];
  dropped: number; // empty or longer than maxLength
  grounded: number; // words with a target region
}

/**
 * One Example per kept caption. With targets, step t of a caption (which predicts token t+1 of
 * <start> w_1 .. w_n <end>, i.e. word w_{t+1}) gets the region of that word, when it names a
 * COCO category the detector found in the photo.
 */
export function buildExamples(
  items: readonly { image: string; captions: readonly string[] }[],
  rows: ReadonlyMap<string, number>,
  vocab: Vocabulary,
  maxLength: number,
  targets?: TargetOptions,
): BuiltExamples {
  const out: BuiltExamples = { examples: [], dropped: 0, grounded: 0 };
  for (const it of items) {
    const regions = targets ? categoryRegions(targets.detections.get(it.image) ?? [], targets.threshold, targets.grid) : undefined;
    for (const c of it.captions) {
      const toks = tokenize(c);
      if (toks.length === 0 || toks.length > maxLength) {
        out.dropped++;
        continue;
      }
      const e: Example = { row: rows.get(it.image)!, tokens: Int32Array.from(vocab.encode(toks)) };
      if (regions?.size) {
        e.targets = wordRegions(toks, regions).flatMap((region, step) => (region ? [{ step, region }] : []));
        out.grounded += e.targets.length;
      }
      out.examples.push(e);
    }
  }
  return out;
}

/** The [B, T, L] target regions of a batch of equal-length captions, and how many words are grounded; undefined when none are. */
export function batchRegions(batch: readonly Example[], T: number, L: number): { regions: Uint8Array; grounded: number } | undefined {
  let grounded = 0;
  const regions = new Uint8Array(batch.length * T * L);
  batch.forEach((e, b) => {
    for (const { step, region } of e.targets ?? []) {
      regions.set(region, (b * T + step) * L);
      grounded++;
    }
  });
  return grounded ? { regions, grounded } : undefined;
}
