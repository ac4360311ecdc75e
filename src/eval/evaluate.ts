import type { Decoder } from '../model/tfjs-decoder.ts';
import { TfjsStepDecoder } from '../model/tfjs-step.ts';
import { decodeStepwise, argmaxChooser } from '../decoding/stepwise.ts';
import { beamSearchBatch } from '../decoding/beam.ts';
import { focusMaps, type FineFeatures } from '../decoding/focus.ts';
import type { ImageGrounding } from '../decoding/grounding.ts';
import { scoreAll, type CaptionScores } from './index.ts';
import { ProgressBar } from '../util/progress.ts';

/** Captions for feature rows (greedy when beam = 1) scored against normalised references. */
export interface EvalItem {
  image: string;
  features: () => Float32Array; // [L, D]
  references: string[]; // normalised
  grounding?: ImageGrounding; // the grounding rules for this image (none: grounding off)
  fine?: () => FineFeatures | undefined; // the encoder's features at twice the input size: fine focus maps (src/decoding/focus.ts)
}

/** An image's words with their maps: α_t per word, and the object words' focus maps on focusGrid (the decoder's grid, or the fine one). */
export interface DecodedMaps {
  image: string;
  words: string[];
  alphas: Float32Array[];
  focus: (Float32Array | undefined)[];
  focusGrid: { h: number; w: number };
}

/** The repetition guard is off unless asked for, so training's early stopping keeps its metric. */
export async function evaluateDecoder(
  decoder: Decoder,
  items: EvalItem[],
  opts: { beam?: number; maxLength: number; batch?: number; progress?: string; lengthPenalty?: number; repetitionPenalty?: number; keepMaps?: boolean },
): Promise<{ scores: CaptionScores; captions: { image: string; caption: string; references: string[] }[]; maps: DecodedMaps[] }> {
  const { h, w } = decoder.config.grid;
  const L = h * w, D = decoder.config.featureDim;
  const beam = opts.beam ?? 1;
  // Beam search decodes a chunk of images as one batch too (per image the same search, far fewer steps).
  const batch = opts.batch ?? (beam > 1 ? 16 : 100);
  const captions: { image: string; caption: string; references: string[] }[] = [];
  // per-word α_t and the object words' focus maps (src/decoding/focus.ts), with keepMaps
  const maps: DecodedMaps[] = [];
  const steps = new TfjsStepDecoder(decoder);
  const bar = opts.progress ? new ProgressBar(opts.progress, items.length, 'images') : undefined;
  for (let i = 0; i < items.length; i += batch) {
    const chunk = items.slice(i, i + batch);
    const data = new Float32Array(chunk.length * L * D);
    chunk.forEach((it, k) => data.set(it.features(), k * L * D));
    const hyps =
      beam > 1
        ? beamSearchBatch(steps, data, { beamSize: beam, maxLength: opts.maxLength, lengthPenalty: opts.lengthPenalty ?? 0, nBest: 1, maps: Boolean(opts.keepMaps), repetitionPenalty: opts.repetitionPenalty ?? 0, grounding: chunk.map((it) => it.grounding) }).map((hs) => hs[0])
        : decodeStepwise(steps, data, { maxLength: opts.maxLength, choose: argmaxChooser, details: opts.keepMaps, repetitionPenalty: opts.repetitionPenalty ?? 0, grounding: chunk.map((it) => it.grounding) });
    hyps.forEach((hyp, k) => {
      captions.push({ image: chunk[k].image, caption: hyp.words.join(' '), references: chunk[k].references });
      if (!opts.keepMaps) return;
      const fine = chunk[k].fine?.();
      maps.push({ image: chunk[k].image, words: hyp.words, alphas: hyp.steps.map((s) => s.alpha), focus: focusMaps(steps, data.subarray(k * L * D, (k + 1) * L * D), hyp, fine), focusGrid: fine?.grid ?? { h, w } });
    });
    bar?.update(Math.min(i + batch, items.length));
    await new Promise((r) => setImmediate(r)); // let signals and I/O through
  }
  const scores = scoreAll(captions.map((c) => ({ hypothesis: c.caption, references: c.references })));
  return { scores, captions, maps };
}
