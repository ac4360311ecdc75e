// The grounding rules inside the search: one row of log-probabilities at a time, from the image's
// ImageGrounding (src/decoding/grounding.ts builds it from the evidence and states the rules).
import { END_ID } from '../data/vocab.ts';
import { COCO_CATEGORIES } from '../detector/types.ts';
import { attentionBias } from './attend.ts';
import { GENERIC_CATEGORIES } from './hypernyms.ts';
import type { ImageGrounding } from './grounding.ts';

const NO_MAP = new Float32Array(0);
const GENERIC_IDS = new Set(GENERIC_CATEGORIES.map((c) => COCO_CATEGORIES.indexOf(c as (typeof COCO_CATEGORIES)[number])));

/**
 * Adds an image's grounding to one row of log-probabilities (lp[offset .. offset+V), the model's
 * own on entry) for a caption whose words so far are `history`: b_v = the bias, minus the boost
 * of categories already named; then endPenalty off <end> per confident category not named yet.
 * With λ = `within`, the allowed object words O (b_v ≥ 0) are renormalised among themselves:
 *   lp'(v) = lp(v) + b_v + λ · log( Σ_O p(u) / Σ_O p(u)·e^{b_u} )   for v ∈ O
 * λ = 1 keeps Σ_O p' = Σ_O p: the model still decides when to name an object ("a group of …"),
 * the evidence decides which one; λ = 0 is a plain boost (naming sooner and more often).
 * With `alpha` (this row's attention map, the one that predicts the word) and κ = `attend`, b_v of
 * an allowed word of a category with boxes R_c also gets κ · log(Σ_{i∈R_c} α_i / (|R_c| / L)).
 */
export function applyGrounding(lp: Float32Array, offset: number, history: readonly number[], g: ImageGrounding, alpha: Float32Array = NO_MAP): void {
  const V = g.bias.length;
  let named: Set<number> | undefined;
  for (const id of history) {
    const c = g.wordCategory[id];
    if (c >= 0 && g.confident[c]) (named ??= new Set()).add(c);
  }
  // No boost once the category is named, nor on the first word unless boostFirst.
  const held = history.length === 0 && !g.boostFirst;
  const b = (v: number) => {
    const c = g.wordCategory[v];
    return c >= 0 && (held || named?.has(c)) ? g.bias[v] - g.boost[c] : g.bias[v];
  };
  // O: the allowed object words (above the full penalty); per number n (singular, plural):
  // z[n] = Σ_O p, zb[n] = Σ_O p·e^b, zu[n] = Σ p of the unsupported ones, moved only to a number
  // that has a boosted word (a confident category), never to words merely above the floor.
  const allowed = (bv: number) => bv > -g.penalty;
  // Generalisation reads the model's own p of the unsupported words, before the penalty.
  const own = Float64Array.from({ length: g.generalise.length / 2 }, (_, k) => Math.exp(lp[offset + g.generalise[2 * k]]));
  const look = attentionBias(g.attend, g.regions, alpha);
  const z = [0, 0], zb = [0, 0], zu = [0, 0], boosted = [false, false];
  for (let v = 0; v < V; v++) {
    let bv = b(v);
    const c = g.wordCategory[v];
    if (c >= 0 && allowed(bv)) {
      boosted[g.plural[v]] ||= bv > 0;
      if (look) bv += look[c];
    }
    if (g.within > 0 && c >= 0) {
      const p = Math.exp(lp[offset + v]), n = g.plural[v];
      if (allowed(b(v))) {
        z[n] += p;
        zb[n] += p * Math.exp(bv);
      } else zu[n] += p;
    }
    lp[offset + v] += bv;
  }
  if (g.within > 0) {
    const shift = [0, 1].map((n) => (zb[n] > 0 ? g.within * Math.log((z[n] + (g.transfer && boosted[n] ? zu[n] : 0)) / zb[n]) : 0));
    for (let v = 0; v < V; v++) if (g.wordCategory[v] >= 0 && allowed(b(v))) lp[offset + v] += shift[g.plural[v]];
  }
  // Generalisation: p(generic word) += p(unsupported words of its categories), in a number where
  // transfer did not already give that probability to a confident category's words, and only
  // while the caption names no animal yet ("a horse and an animal" is a guess, not a fallback).
  const moved = new Map<number, number>();
  // Not right after "a" either: the model chose the article for the word it meant ("a dog"), and
  // "a animal" is not English; a row that said "a" gets "animal" one word later ("a black animal").
  const animalSaid = own.length > 0 && history.some((id) => GENERIC_IDS.has(g.wordCategory[id]) || g.generalise.some((w, k) => k % 2 === 1 && w === id));
  const afterA = history.length > 0 && history[history.length - 1] === g.article;
  for (let k = 0; k < own.length && !animalSaid && !afterA; k++) {
    const from = g.generalise[2 * k], to = g.generalise[2 * k + 1];
    if (!(g.within > 0 && g.transfer && boosted[g.plural[from]])) moved.set(to, (moved.get(to) ?? 0) + own[k]);
  }
  for (const [to, p] of moved) lp[offset + to] = logAddExp(lp[offset + to], Math.log(p));
  // Refinement: p(category word) += p(generic word), and the generic word is not said.
  for (let k = 0; k < g.refine.length; k += 3) {
    if (named?.has(g.refine[k + 2])) continue;
    const from = offset + g.refine[k], to = offset + g.refine[k + 1];
    if (Math.max(lp[from], lp[to]) === -Infinity) continue;
    lp[to] = logAddExp(lp[from], lp[to]);
    lp[from] -= g.penalty;
  }
  // A two-word name once begun is finished ("stop" → "sign").
  const last = history[history.length - 1];
  for (let k = 0; k < g.phrases.length; k += 3) {
    if (g.phrases[k] !== last) continue;
    for (let v = 0; v < V; v++) if (v !== g.phrases[k + 1]) lp[offset + v] -= g.penalty;
  }
  if (g.endPenalty > 0) {
    let unnamed = 0;
    g.confident.forEach((c, i) => { if (c && !named?.has(i)) unnamed++; });
    lp[offset + END_ID] -= g.endPenalty * unnamed;
  }
}

/** log(e^a + e^b), stable. */
function logAddExp(a: number, b: number): number {
  const hi = Math.max(a, b);
  return hi === -Infinity ? hi : hi + Math.log(Math.exp(a - hi) + Math.exp(b - hi));
}
