import { shuffleInPlace } from '../util/rng.ts';

/** A training caption: which feature row it describes and its token ids (<start> .. <end>). */
export interface Example {
  row: number;
  tokens: Int32Array;
  targets?: { step: number; region: Uint8Array }[]; // attention targets of grounded words (src/train/examples.ts)
}

/**
 * An epoch's batches: captions grouped by length so a batch has no padding (no masks,
 * no wasted steps), each group shuffled and cut into batches, then the batch order shuffled.
 * Deterministic for a given rng, so a resumed run sees exactly the same epoch.
 */
export function makeBatches(examples: Example[], batchSize: number, rng: () => number): number[][] {
  const byLength = new Map<number, number[]>();
  examples.forEach((e, i) => {
    const list = byLength.get(e.tokens.length) ?? [];
    list.push(i);
    byLength.set(e.tokens.length, list);
  });
  const batches: number[][] = [];
  for (const len of [...byLength.keys()].sort((a, b) => a - b)) {
    const ids = shuffleInPlace(byLength.get(len)!, rng);
    for (let i = 0; i < ids.length; i += batchSize) batches.push(ids.slice(i, i + batchSize));
  }
  return shuffleInPlace(batches, rng);
}
