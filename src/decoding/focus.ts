// Focus maps: where in the image a word's evidence is. The hard-attention model draws a location
// s_t ~ Multinoulli(α_t) (8) and then the word from that location's context; Bayes gives the
// location given the word that was said:
//
//   p(s_t = i | y_t, y_<t) ∝ α_ti · p(y_t | s_t = i, y_<t)                              (focus)
//
// α_t is where the model looked *before* it chose the word; the focus keeps the part of that look
// that explains the word (for "dog": the dog, not the grass around it). p(y_t | s_t = i) is the
// deep output layer given location i's context alone (src/model/decoder.ts locationLogprobs).
// For soft attention the same formula reads the soft model as the expectation of the hard one.
//
// Fine focus maps. The 14×14 grid gives a small object one or two cells. The encoder run at twice
// the input size sees the same photo on a 28×28 grid of the same kind of annotation vectors, and
// the output layer reads one location at a time, so it scores those locations as well. The 14×14
// focus map, upsampled, is the prior over where the word's evidence is, and the fine likelihood
// places it within that area:
//
//   p(s = j | y_t) ∝ up(π_t)_j · p(y_t | s = j, y_<t),   j on the 28×28 grid            (fine focus)
//
// The fine likelihood is only computed where the prior has mass (the fewest cells that hold 99%
// of it, about 40% of them); elsewhere the coarse likelihood of the cell's parent stands in. The
// pointing game is the same either way, at well under half the cost.
// Measured in docs/attention-supervision.md ("Fine focus maps").
import { START_ID } from '../data/vocab.ts';
import { objectMentions } from '../grounding/categories.ts';
import type { StepDecoder } from '../model/step.ts';
import { resizeBilinear } from '../render/upsample.ts';
import type { Hypothesis } from './types.ts';

/** The posterior over locations: α_i · exp(loglik_i), normalised (in log space, so no underflow). */
export function posterior(alpha: ArrayLike<number>, loglik: ArrayLike<number>): Float32Array {
  const L = alpha.length;
  if (loglik.length !== L) throw new Error(`posterior: ${L} attention weights but ${loglik.length} likelihoods`);
  const log = Float64Array.from({ length: L }, (_, i) => Math.log(alpha[i]) + loglik[i]);
  let max = -Infinity;
  for (const v of log) max = Math.max(max, v);
  let sum = 0;
  for (let i = 0; i < L; i++) sum += log[i] = Math.exp(log[i] - max);
  return Float32Array.from(log, (v) => v / sum);
}

/** The steps that name an object (a COCO category; both words of a two-word name): the ones that get a focus map. */
export function objectSteps(words: readonly string[]): Set<number> {
  const steps = new Set<number>();
  for (const m of objectMentions(words)) for (let k = 0; k < m.length; k++) steps.add(m.index + k);
  return steps;
}

/**
 * Focus maps for the object words of one image's hypothesis (decoded with maps: each step keeps
 * α_t, β_t and h_t; expected context: soft, or hard at test time): each object step's word
 * likelihood per location, combined with that step's α_t; with `fine`, refined on its grid (fine
 * focus, above). Returns one map per step, undefined for steps that name no object (and for all
 * steps of a hypothesis decoded without maps).
 */
export function focusMaps<S>(decoder: StepDecoder<S>, features: Float32Array, hyp: Pick<Hypothesis, 'ids' | 'words' | 'steps'>, fine?: FineFeatures): (Float32Array | undefined)[] {
  const wanted = objectSteps(hyp.words);
  const { grid } = decoder.config;
  return hyp.steps.map((s, t) => {
    if (!wanted.has(t) || !s.hidden || s.alpha.length === 0) return undefined;
    const prev = t === 0 ? START_ID : hyp.ids[t - 1];
    const likelihood = (a: Float32Array) => decoder.wordLogLikelihood(a, s.hidden!, prev, s.beta, hyp.ids[t]);
    const loglik = likelihood(features);
    const focus = posterior(s.alpha, loglik);
    return fine ? fineFocus(focus, loglik, grid, fine, likelihood) : focus;
  });
}

/** Share of the prior's mass whose cells get the fine likelihood (the rest keep their parent's). */
export const FINE_SUPPORT_MASS = 0.99;

/**
 * The fine focus map (above) from a coarse focus map and its likelihoods on `grid`; `likelihood`
 * gives log p(word | location) for rows of annotation vectors [k, D].
 */
export function fineFocus(focus: ArrayLike<number>, loglik: ArrayLike<number>, grid: { h: number; w: number }, fine: FineFeatures, likelihood: (rows: Float32Array) => ArrayLike<number>): Float32Array {
  const { h, w } = fine.grid;
  const prior = upsample(focus, grid, fine.grid);
  const cells = support(prior, FINE_SUPPORT_MASS);
  const D = fine.features.length / (h * w);
  const rows = new Float32Array(cells.length * D);
  cells.forEach((j, k) => rows.set(fine.features.subarray(j * D, (j + 1) * D), k * D));
  const fineLik = likelihood(rows);
  // Cell (r, c) of the fine grid lies in cell (⌊(r + ½)·grid.h / h⌋, ⌊(c + ½)·grid.w / w⌋) of the coarse one.
  const parent = (j: number) => Math.floor(((Math.floor(j / w) + 0.5) * grid.h) / h) * grid.w + Math.floor((((j % w) + 0.5) * grid.w) / w);
  const lik = Float32Array.from(prior, (_, j) => loglik[parent(j)]);
  cells.forEach((j, k) => (lik[j] = fineLik[k]));
  return posterior(prior, lik);
}

/** The fewest cells of a distribution that hold at least `mass` of it, largest first. */
export function support(p: ArrayLike<number>, mass: number): number[] {
  const order = Array.from({ length: p.length }, (_, i) => i).sort((a, b) => p[b] - p[a]);
  const out: number[] = [];
  let acc = 0;
  for (const i of order) {
    if (acc >= mass) break;
    out.push(i);
    acc += p[i];
  }
  return out;
}

/** One image's annotation vectors [h·w, D] from the encoder at a larger input: a finer grid of the same features. */
export interface FineFeatures {
  features: Float32Array;
  grid: { h: number; w: number };
}

/**
 * A map on grid `from` resampled to grid `to` (the overlays' bilinear resampling between cell
 * centres, edges clamped: src/render/upsample.ts), renormalised to sum to 1. Bilinear rather than
 * nearest: a peak spread over the 4 fine cells of a coarse cell gives the fine likelihood no
 * preferred corner.
 */
export function upsample(map: ArrayLike<number>, from: { h: number; w: number }, to: { h: number; w: number }): Float32Array {
  if (map.length !== from.h * from.w) throw new Error(`upsample: ${map.length} values for a ${from.h}x${from.w} grid`);
  const out = resizeBilinear(Float32Array.from(map), from.w, from.h, to.w, to.h);
  const sum = out.reduce((a, v) => a + v, 0);
  if (!(sum > 0)) throw new Error('upsample: the map has no mass');
  return out.map((v) => v / sum);
}
