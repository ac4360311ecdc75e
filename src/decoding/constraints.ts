// What the search may not (or should rather not) emit, applied to the log-probabilities in JS so
// that every runtime's search (beam, greedy, sampling) shares it.
import { END_ID, UNK_ID } from '../data/vocab.ts';
import { applyGrounding } from './apply-grounding.ts';
import type { ImageGrounding } from './grounding.ts';

/**
 * Words that legitimately repeat in a caption ("a man and a dog on the grass"): the repetition
 * guard never penalises them. Everything else counts as a content word.
 */
export const FUNCTION_WORDS: ReadonlySet<string> = new Set([
  'a', 'an', 'the', 'and', 'or', 'of', 'in', 'on', 'at', 'to', 'with', 'by', 'for', 'from', 'into', 'onto', 'over',
  'under', 'near', 'through', 'while', 'as', 'is', 'are', 'his', 'her', 'their', 'its', 'one', 'other', 'another',
  'each', 'some', 'up', 'down', 'out', 'off', 'front', 'behind', 'next', 'side', 'top', 'it', 'he', 'she', 'they',
]);

export interface DecodeConstraints {
  /** Log-probability subtracted from a content word already in the caption ("a helmet and helmet"); 0 = off. */
  repetitionPenalty: number;
}

/** The service default, measured on Flickr8k dev (README, "Repetition guard"). */
export const DEFAULT_REPETITION_PENALTY = 4;

/** Per vocabulary id: true where the repetition guard applies (content words). */
export function contentWordMask(words: readonly string[]): Uint8Array {
  const mask = new Uint8Array(words.length);
  words.forEach((w, i) => { mask[i] = !w.startsWith('<') && !FUNCTION_WORDS.has(w) ? 1 : 0; });
  return mask;
}

/**
 * Adjusts one row of log-probabilities (lp[offset .. offset+V)) in place for a caption whose
 * words so far are `history`: <unk> can never be chosen (like <pad> and <start>, which the model
 * itself masks), and content words already used lose `repetitionPenalty` (once, however often
 * they occur); with `grounding` (this row's image), the grounding rules of grounding.ts apply
 * (`alpha`: this row's attention map, for the attention rule).
 * Callers keep an unmodified copy: results report the model's own log-probabilities.
 */
export function constrainRow(lp: Float32Array, offset: number, history: readonly number[], content: Uint8Array, c: DecodeConstraints, grounding?: ImageGrounding | null, alpha?: Float32Array): void {
  if (grounding) applyGrounding(lp, offset, history, grounding, alpha);
  lp[offset + UNK_ID] = -Infinity;
  if (c.repetitionPenalty > 0) for (const id of new Set(history)) if (content[id]) lp[offset + id] -= c.repetitionPenalty;
}

/** Whether <end> is the most likely word of a row: if not, ending at maxLength cut the caption. */
export function endIsBest(lp: Float32Array, offset: number, V: number): boolean {
  for (let v = 0; v < V; v++) if (lp[offset + v] > lp[offset + END_ID]) return false;
  return true;
}
