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
// Measured in docs/attention-supervision.md ("Focus maps").
import { START_ID } from '../data/vocab.ts';
import { objectMentions } from '../grounding/categories.ts';
import type { StepDecoder } from '../model/step.ts';
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
 * likelihood per location, combined with that step's α_t. Returns one map per step, undefined for
 * steps that name no object (and for all steps of a hypothesis decoded without maps).
 */
export function focusMaps<S>(decoder: StepDecoder<S>, features: Float32Array, hyp: Pick<Hypothesis, 'ids' | 'words' | 'steps'>): (Float32Array | undefined)[] {
  const wanted = objectSteps(hyp.words);
  return hyp.steps.map((s, t) => {
    if (!wanted.has(t) || !s.hidden || s.alpha.length === 0) return undefined;
    const prev = t === 0 ? START_ID : hyp.ids[t - 1];
    return posterior(s.alpha, decoder.wordLogLikelihood(features, s.hidden, prev, s.beta, hyp.ids[t]));
  });
}
