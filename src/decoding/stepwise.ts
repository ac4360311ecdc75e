import { END_ID, START_ID } from '../data/vocab.ts';
import type { ContextMode, StepDecoder } from '../model/step.ts';
import { imageCount } from './beam.ts';
import { constrainRow, contentWordMask, DEFAULT_REPETITION_PENALTY, endIsBest } from './constraints.ts';
import { searchGrounding, type ImageGrounding } from './grounding.ts';
import type { Hypothesis, WordStep } from './types.ts';

/** Chooses the next word of each of K captions from their log-probabilities (row-major [K, V]). */
export type Chooser = (logprobs: Float32Array, K: number, V: number) => Int32Array;

export const argmaxChooser: Chooser = (lp, K, V) => {
  const out = new Int32Array(K);
  for (let k = 0; k < K; k++) {
    let best = 0;
    for (let v = 1; v < V; v++) if (lp[k * V + v] > lp[k * V + best]) best = v;
    out[k] = best;
  }
  return out;
};

/** Samples from p^(1/temperature) (temperature → 0 approaches greedy). */
export function samplingChooser(rng: () => number, temperature: number): Chooser {
  return (lp, K, V) => {
    const out = new Int32Array(K);
    const w = new Float64Array(V);
    for (let k = 0; k < K; k++) {
      let max = -Infinity;
      for (let v = 0; v < V; v++) max = Math.max(max, lp[k * V + v] / temperature);
      let sum = 0;
      for (let v = 0; v < V; v++) sum += w[v] = Math.exp(lp[k * V + v] / temperature - max);
      let u = rng() * sum;
      let pick = V - 1;
      for (let v = 0; v < V; v++) if ((u -= w[v]) <= 0) { pick = v; break; }
      out[k] = pick;
    }
    return out;
  };
}

/**
 * Greedy decoding and sampling for K images at once: one step of the decoder per word,
 * each caption choosing its next word with `choose`, until all have emitted <end>.
 *
 * `onStep(k, step)`, when given, is called synchronously as soon as image k gets a word (not for
 * <end>), in caption order, with the same content as the step in the returned hypothesis (α, β
 * and the sampled region are read out for it even without `details`; `steps` stays empty then).
 * Within one decoder step the images are reported in order 0..K-1. An exception thrown by
 * onStep aborts the decoding. `maps: false` leaves every step's α empty (no map work).
 * `grounding[k]`: image k's grounding rules (grounding.ts; missing: off).
 */
export function decodeStepwise<S>(
  decoder: StepDecoder<S>,
  features: Float32Array,
  opts: { maxLength: number; choose: Chooser; mode?: ContextMode; details?: boolean; maps?: boolean; onStep?: (k: number, step: WordStep) => void; repetitionPenalty?: number; grounding?: readonly (ImageGrounding | null | undefined)[] },
): Hypothesis[] {
  const K = imageCount(decoder, features);
  const V = decoder.config.vocabSize;
  const L = decoder.regions;
  const hid = decoder.config.hiddenDim;
  const hyps: Hypothesis[] = Array.from({ length: K }, () => ({ ids: [], words: [], logprob: 0, score: 0, steps: [] }));
  const done = new Array<boolean>(K).fill(false);
  const needSteps = Boolean(opts.details || opts.onStep);
  const maps = opts.maps ?? true;
  const constraints = { repetitionPenalty: opts.repetitionPenalty ?? DEFAULT_REPETITION_PENALTY };
  const content = contentWordMask(decoder.vocab.words);
  const grounding = searchGrounding(decoder.vocab.words, decoder.config.supportedOnly, opts.grounding, K);
  let state = decoder.init(features, K);
  let prev: Int32Array = new Int32Array(K).fill(START_ID);
  try {
    for (let t = 0; t < opts.maxLength + 1 && done.includes(false); t++) {
      const out = decoder.step(state, prev, opts.mode);
      decoder.release(state);
      state = out.state;
      const { logprobs: lp, alpha, beta, region } = out;
      const hidden = needSteps && maps ? decoder.hidden(out.state) : undefined; // h_t for focus maps
      // The chooser sees the constrained copy (no <unk>, repetition guard, grounding); results keep lp.
      const glp = Float32Array.from(lp);
      for (let k = 0; k < K; k++) constrainRow(glp, k * V, hyps[k].ids, content, constraints, grounding[k], alpha.subarray(k * L, (k + 1) * L));
      // The last allowed step can only end the caption.
      const last = t === opts.maxLength;
      const next = last ? new Int32Array(K).fill(END_ID) : opts.choose(glp, K, V);
      for (let k = 0; k < K; k++) {
        if (done[k]) continue;
        const id = next[k];
        const h = hyps[k];
        h.logprob += lp[k * V + id];
        if (id === END_ID) {
          done[k] = true;
          if (last && !endIsBest(glp, k * V, V)) h.truncated = true;
          continue;
        }
        h.ids.push(id);
        h.words.push(decoder.vocab.words[id]);
        if (needSteps) {
          const step: WordStep = { id, word: decoder.vocab.words[id], logprob: lp[k * V + id], beta: beta[k], alpha: maps ? alpha.slice(k * L, (k + 1) * L) : new Float32Array(0) };
          if (hidden) step.hidden = hidden.slice(k * hid, (k + 1) * hid);
          if (region) step.region = region[k];
          if (opts.details) h.steps.push(step);
          opts.onStep?.(k, step);
        }
      }
      prev = next;
    }
  } finally {
    decoder.release(state);
  }
  for (const h of hyps) h.score = h.logprob;
  return hyps;
}
