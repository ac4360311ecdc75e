// Grounding rules for the search: an object word may only be said when the photo supports its COCO
// category, and a confidently seen object should be named. Like the repetition guard, they change
// only what the search ranks by; results keep the model's own log-probabilities.
//
// Evidence per COCO category c (0–1), from the detector and the encoder's ImageNet classifier:
//   support(c) = max( max score of a detection of c ,  Σ p(ImageNet class) over c's classes )
// Rules, per vocabulary word w naming c (CATEGORY_WORDS), added to log p(w | …) at every step:
//   support(c) <  floor      → −penalty  (unsupported: effectively never said)
//   support(c) ≥ confident   → +boost    while no word of c has been said yet
//   otherwise                → 0
// then, with λ = `within` (1 by default), the allowed object words of each number (singular,
// plural) are renormalised to the model's own total, plus (`transfer`) what it gave the
// unsupported ones when a confident category is unnamed: the model decides when an object is
// named, the evidence which ("a man" on a photo of a bus → "a bus"; applyGrounding has the
// equation). Generic words ("animal") hand their probability to a confident category of their
// COCO supercategory (`refine`, src/decoding/hypernyms.ts). And, off by default, while a
// confident category is still unnamed, <end> loses `endPenalty` per such category
// (a soft form of constrained beam search, Anderson et al. 2017: the caption should not end
// before it has named what is clearly there). Words added by vocabulary expansion (the
// decoder config's `supportedOnly`) are never said without support, even with grounding off.
import { END_ID } from '../data/vocab.ts';
import { COCO_CATEGORIES } from '../detector/types.ts';
import type { RawDetection } from '../detector/types.ts';
import { categoryOf, isPluralObjectWord } from '../grounding/categories.ts';
import type { Grid } from '../data/attention-targets.ts';
import { attendRegions, attentionBias, type AttendRegion } from './attend.ts';
import { categoryWord, HYPERNYMS } from './hypernyms.ts';
import { imagenetSupport } from './imagenet-coco.ts';

export interface GroundingRules {
  /** support below this: the category is not in the photo */
  floor: number;
  /** nats taken off a word of an unsupported category */
  penalty: number;
  /**
   * k ≥ 0: graded suppression, −min(penalty, k · ln(floor / support)) below the floor, i.e. the
   * word's probability times (support / floor)^k; a weak detection (0.1–0.2, where the detector
   * misses true objects in small photos) costs a little, none at all the full penalty. 0: flat
   */
  slope: number;
  /** support at or above this: the category is confidently in the photo */
  confident: number;
  /** nats added to a word of a confident category, until one of its words is said */
  boost: number;
  /** nats taken off <end> per confident category not named yet */
  endPenalty: number;
  /**
   * λ in applyGrounding, 0–1: 1 = the boost only chooses WHICH object is named, not WHEN one is
   * (the allowed object words keep the model's total probability); 0 = a plain +boost
   */
  within: number;
  /**
   * whether the boost applies to the caption's first word too; false: the model chooses how the
   * caption opens (captions open with a determiner or a number, and a boosted bare noun there
   * turns "a group of people are …" into "people are …")
   */
  boostFirst: boolean;
  /**
   * refine generic words to a confident category of their COCO supercategory ("animal" → "giraffe",
   * src/decoding/hypernyms.ts): the generic word's probability moves onto the category's word
   */
  refine: boolean;
  /**
   * with λ (`within`) > 0 and a confident category unnamed: the probability the model gives to
   * unsupported object words goes to the allowed ones (by their boosted shares), so the model
   * still decides when an object is named and the evidence which ("a man" on a photo of a bus
   * becomes "a bus"), as Neural Baby Talk fills a slot with a detected object
   */
  transfer: boolean;
  /**
   * κ ≥ 0: among the allowed object words, those whose category's boxes the step's attention falls
   * on are preferred: + κ · log(lift), lift = α mass in the boxes / their share of the grid (clamped
   * to e^±3), as Neural Baby Talk names the detected object the model attends to; 0: off
   */
  attend: number;
}

/**
 * floor 0.2 / penalty 10 / confident 0.4: the experiment (issue 17), chosen on
 * coco-mini-train. within 1 with transfer: the model decides when an object is named, the evidence
 * which; a plain boost (within 0) named objects sooner and cost Flickr8k dev 3 BLEU-4 (first 300
 * photos: 15.49 against 17.28 for this, 18.46 grounding off). boost 8 (of 4, 8) and slope 0 (of 0,
 * 3: slope 3 kept Flickr8k but let weak false "person" detections back, CHAIR_i 17.5%) chosen on
 * coco-mini-train and Flickr8k dev together (docs/grounding.md).
 */
export const DEFAULT_GROUNDING_RULES: GroundingRules = { floor: 0.2, penalty: 10, confident: 0.4, boost: 8, endPenalty: 0, within: 1, boostFirst: false, refine: true, slope: 0, transfer: true, attend: 0 };

/** What one image's search needs: the bias per vocabulary id and which categories to name. */
export interface ImageGrounding {
  /** [V] added to the log-probabilities of every row of this image */
  bias: Float32Array;
  /** [V] COCO category index of each word, −1 for none (shared per vocabulary) */
  wordCategory: Int16Array;
  /** [V] 1 for plural object words (shared per vocabulary) */
  plural: Uint8Array;
  /** [80] 1 where the category is confident (boosted until named; <end> waits for it) */
  confident: Uint8Array;
  /** [80] the boost each category's words get while unnamed (taken back once named) */
  boost: Float32Array;
  endPenalty: number;
  within: number;
  boostFirst: boolean;
  /** triples (generic word, category word, category): the generic word's mass goes to the category's word until it is named */
  refine: Int32Array;
  /** nats taken off a generic word while its mass is moved; object words at or below −penalty count as unsupported */
  penalty: number;
  transfer: boolean;
  /** κ of `attend`, with the grid cells of each category's boxes (categories with boxes only) */
  attend: number;
  regions: readonly AttendRegion[];
}

const NO_MAP = new Float32Array(0);

const wordCategories = new WeakMap<readonly string[], Int16Array>();

/** COCO category index per vocabulary word (cached per vocabulary). */
export function wordCategoryIds(words: readonly string[]): Int16Array {
  let out = wordCategories.get(words);
  if (!out) {
    out = Int16Array.from(words, (w) => {
      const c = categoryOf(w);
      return c === undefined ? -1 : COCO_CATEGORIES.indexOf(c as (typeof COCO_CATEGORIES)[number]);
    });
    wordCategories.set(words, out);
  }
  return out;
}

const pluralFlags = new WeakMap<readonly string[], Uint8Array>();

/**
 * 1 for a plural object word (an irregular plural, or -s / -es / -ies of another word of its
 * category): transfer and λ keep singular and plural apart, so "two men" never becomes "two bus".
 */
export function pluralObjectWords(words: readonly string[]): Uint8Array {
  let out = pluralFlags.get(words);
  if (!out) {
    out = Uint8Array.from(words, (w) => (isPluralObjectWord(w) ? 1 : 0));
    pluralFlags.set(words, out);
  }
  return out;
}

/**
 * Evidence per category: max detection score, or the ImageNet probability mass, whichever is
 * larger. `detections` undefined means no detector ran (different from "found nothing").
 */
export function categorySupport(detections: readonly RawDetection[] | undefined, imagenet: readonly { index: number; score: number }[] = []): Float32Array {
  const s = imagenetSupport(imagenet);
  for (const d of detections ?? []) s[d.classIndex] = Math.max(s[d.classIndex], d.score);
  return s;
}

export interface GroundingInput {
  /** the detector's boxes for this image; undefined: no detector ran (nothing is penalised then, only boosted) */
  detections?: readonly RawDetection[];
  /** the encoder's ImageNet classes with softmax probabilities (e.g. top 10) */
  imagenet?: readonly { index: number; score: number }[];
  /** the attention grid, for `attend` (without it the attention rule is off) */
  grid?: Grid;
}

/**
 * One image's grounding from its evidence. Without a detector, a missing category is not
 * evidence of absence (ImageNet names one thing per photo), so nothing is penalised except
 * words that are said only with support (`supportedOnly`).
 */
export function imageGrounding(words: readonly string[], input: GroundingInput, rules: GroundingRules = DEFAULT_GROUNDING_RULES, supportedOnly: readonly string[] = []): ImageGrounding {
  const support = categorySupport(input.detections, input.imagenet);
  const wordCategory = wordCategoryIds(words);
  // Confident and nameable: a category with no word in the vocabulary cannot hold up <end>.
  const nameable = new Uint8Array(COCO_CATEGORIES.length);
  for (const c of wordCategory) if (c >= 0) nameable[c] = 1;
  const confident = Uint8Array.from(support, (s, c) => (s >= rules.confident && nameable[c] ? 1 : 0));
  const boost = Float32Array.from(confident, (c) => c * rules.boost);
  const bias = new Float32Array(words.length);
  const detected = input.detections !== undefined;
  for (let v = 0; v < words.length; v++) {
    const c = wordCategory[v];
    if (c < 0) continue;
    if (support[c] < rules.floor) bias[v] = detected ? -suppression(support[c], rules) : 0;
    else bias[v] = boost[c];
  }
  banUnsupported(bias, words, supportedOnly, (c) => support[c] >= rules.floor);
  const refine = rules.refine ? refinements(words, support, confident) : new Int32Array(0);
  const regions = rules.attend > 0 && input.grid ? attendRegions(input.detections ?? [], rules.floor, input.grid) : [];
  return { bias, wordCategory, plural: pluralObjectWords(words), confident, boost, endPenalty: rules.endPenalty, within: rules.within, boostFirst: rules.boostFirst, refine, penalty: rules.penalty, transfer: rules.transfer, attend: rules.attend, regions };
}

/** Nats off a word whose category's support s is below the floor (see `slope`). */
function suppression(s: number, rules: GroundingRules): number {
  return rules.slope > 0 && s > 0 ? Math.min(rules.penalty, rules.slope * Math.log(rules.floor / s)) : rules.penalty;
}

/** (generic word, word of its best-supported confident category, category) per generic word in the vocabulary. */
function refinements(words: readonly string[], support: Float32Array, confident: Uint8Array): Int32Array {
  const ids = vocabularyIds(words);
  const id = (w: string) => ids.get(w);
  const out: number[] = [];
  for (const [generic, [categories, plural]] of Object.entries(HYPERNYMS)) {
    const from = id(generic);
    if (from === undefined) continue;
    let best = -1;
    for (const name of categories) {
      const c = COCO_CATEGORIES.indexOf(name as (typeof COCO_CATEGORIES)[number]);
      if (confident[c] && categoryWord(name, plural, id) !== undefined && (best < 0 || support[c] > support[best])) best = c;
    }
    if (best >= 0) out.push(from, categoryWord(COCO_CATEGORIES[best], plural, id)!, best);
  }
  return Int32Array.from(out);
}

const vocabularyIndex = new WeakMap<readonly string[], Map<string, number>>();
function vocabularyIds(words: readonly string[]): Map<string, number> {
  let m = vocabularyIndex.get(words);
  if (!m) vocabularyIndex.set(words, (m = new Map(words.map((w, i) => [w, i]))));
  return m;
}

/** Grounding off: no rules, but words of `supportedOnly` can never be said (null when there are none). */
export function ungrounded(words: readonly string[], supportedOnly: readonly string[] = []): ImageGrounding | null {
  if (!supportedOnly.length) return null;
  const bias = new Float32Array(words.length);
  banUnsupported(bias, words, supportedOnly, () => false);
  const n = COCO_CATEGORIES.length;
  return { bias, wordCategory: wordCategoryIds(words), plural: pluralObjectWords(words), confident: new Uint8Array(n), boost: new Float32Array(n), endPenalty: 0, within: 0, boostFirst: false, refine: new Int32Array(0), penalty: 0, transfer: false, attend: 0, regions: [] };
}

/** Per image of a search: its grounding, or grounding off (null when that needs no bias). */
export function searchGrounding(words: readonly string[], supportedOnly: readonly string[] | undefined, given: readonly (ImageGrounding | null | undefined)[] | undefined, N: number): (ImageGrounding | null)[] {
  const off = ungrounded(words, supportedOnly);
  return Array.from({ length: N }, (_, n) => given?.[n] ?? off);
}

function banUnsupported(bias: Float32Array, words: readonly string[], supportedOnly: readonly string[], supported: (c: number) => boolean): void {
  if (!supportedOnly.length) return;
  const only = new Set(supportedOnly);
  const wc = wordCategoryIds(words);
  words.forEach((w, v) => {
    if (only.has(w) && (wc[v] < 0 || !supported(wc[v]))) bias[v] = -Infinity;
  });
}

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
  // Refinement: p(category word) += p(generic word), and the generic word is not said.
  for (let k = 0; k < g.refine.length; k += 3) {
    if (named?.has(g.refine[k + 2])) continue;
    const from = offset + g.refine[k], to = offset + g.refine[k + 1];
    const hi = Math.max(lp[from], lp[to]);
    if (hi === -Infinity) continue;
    lp[to] = hi + Math.log(Math.exp(lp[from] - hi) + Math.exp(lp[to] - hi));
    lp[from] -= g.penalty;
  }
  if (g.endPenalty > 0) {
    let unnamed = 0;
    g.confident.forEach((c, i) => { if (c && !named?.has(i)) unnamed++; });
    lp[offset + END_ID] -= g.endPenalty * unnamed;
  }
}
