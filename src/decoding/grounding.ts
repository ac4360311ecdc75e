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
// named, the evidence which ("a man" on a photo of a bus → "a bus"; applyGrounding in
// apply-grounding.ts has the equation). Generic words ("animal") hand their probability to a
// confident category of their COCO supercategory (`refine`, src/decoding/hypernyms.ts), and
// unsupported animal words theirs to "animal(s)" when no confident category
// takes it (`generalise`: "a black animal", not a chain of colours). And, off by default, while a
// confident category is still unnamed, <end> loses `endPenalty` per such category
// (a soft form of constrained beam search, Anderson et al. 2017: the caption should not end
// before it has named what is clearly there). Words added by vocabulary expansion (the
// decoder config's `supportedOnly`) are never said without support, even with grounding off.
import { COCO_CATEGORIES } from '../detector/types.ts';
import type { RawDetection } from '../detector/types.ts';
import { categoryOf, isPluralObjectWord } from '../grounding/categories.ts';
import type { Grid } from '../data/attention-targets.ts';
import { attendRegions, type AttendRegion } from './attend.ts';
import { categoryWord, GENERIC_CATEGORIES, genericWord, HYPERNYMS } from './hypernyms.ts';
import { imagenetSupport } from './imagenet-coco.ts';
import { phraseNames } from './phrases.ts';

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
   * an unsupported word of an animal category hands its probability to the generic
   * word of its number ("dog" → "animal", "dogs" → "animals") when no confident category takes it
   * (transfer) and the evidence backs some animal (support of all animals together ≥ floor): the
   * sentence the model meant survives without the object it cannot name ("a black animal is running
   * through the water", not a chain of colours)
   */
  generalise: boolean;
  /**
   * a confident category with no word of its own is named by its two words ("stop sign",
   * src/decoding/phrases.ts): the first is that image's object word for it, the second must follow
   */
  phrases: boolean;
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
export const DEFAULT_GROUNDING_RULES: GroundingRules = { floor: 0.2, penalty: 10, confident: 0.4, boost: 8, endPenalty: 0, within: 1, boostFirst: false, refine: true, slope: 0, transfer: true, generalise: true, phrases: true, attend: 0 };

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
  /** triples (first word, second word, category) of the confident categories named by two words (`phrases`) */
  phrases: Int32Array;
  /** pairs (unsupported word, its generic word): see `generalise` */
  generalise: Int32Array;
  /** the id of "a" (−1 if none): nothing is generalised right after it ("a animal"; "animal" starts with a vowel) */
  article: number;
  /** κ of `attend`, with the grid cells of each category's boxes (categories with boxes only) */
  attend: number;
  regions: readonly AttendRegion[];
}

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

/** Evidence that one of several categories is in the photo: max(Σ their ImageNet mass, best detection of any). */
function groupSupport(categories: readonly string[], input: GroundingInput): number {
  const ids = new Set(categories.map((c) => COCO_CATEGORIES.indexOf(c as (typeof COCO_CATEGORIES)[number])));
  const imagenet = imagenetSupport(input.imagenet ?? []);
  let sum = 0, best = 0;
  for (const c of ids) sum += imagenet[c];
  for (const d of input.detections ?? []) if (ids.has(d.classIndex)) best = Math.max(best, d.score);
  return Math.max(sum, best);
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
  let wordCategory = wordCategoryIds(words);
  // Confident and nameable: a category with no word in the vocabulary cannot hold up <end>.
  const nameable = new Uint8Array(COCO_CATEGORIES.length);
  for (const c of wordCategory) if (c >= 0) nameable[c] = 1;
  // A confident category with a two-word name: its first word is this image's object word for it.
  const phrases = rules.phrases ? phraseNames(words, nameable, (c) => support[c] >= rules.confident) : new Int32Array(0);
  if (phrases.length) wordCategory = Int16Array.from(wordCategory);
  for (let k = 0; k < phrases.length; k += 3) {
    wordCategory[phrases[k]] = phrases[k + 2];
    nameable[phrases[k + 2]] = 1;
  }
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
  const generalise = rules.generalise && detected && groupSupport(GENERIC_CATEGORIES, input) >= rules.floor ? generalisations(words, bias, rules.penalty) : new Int32Array(0);
  const regions = rules.attend > 0 && input.grid ? attendRegions(input.detections ?? [], rules.floor, input.grid) : [];
  return { bias, wordCategory, plural: pluralObjectWords(words), confident, boost, endPenalty: rules.endPenalty, within: rules.within, boostFirst: rules.boostFirst, refine, penalty: rules.penalty, transfer: rules.transfer, generalise, article: vocabularyIds(words).get('a') ?? -1, phrases, attend: rules.attend, regions };
}

/** Nats off a word whose category's support s is below the floor (see `slope`). */
function suppression(s: number, rules: GroundingRules): number {
  return rules.slope > 0 && s > 0 ? Math.min(rules.penalty, rules.slope * Math.log(rules.floor / s)) : rules.penalty;
}

/**
 * (unsupported word, its generic word) for every suppressed word of a category that has one in the
 * vocabulary, when the evidence backs *some* animal: an animal is there even if which one is not
 * known (the ImageNet classes of all animals add up; a detection of any counts by its score).
 * Without that, "a dog" on a photo with no animal at all must not become "an animal".
 */
function generalisations(words: readonly string[], bias: Float32Array, penalty: number): Int32Array {
  const ids = vocabularyIds(words);
  const wc = wordCategoryIds(words), plural = pluralObjectWords(words);
  const out: number[] = [];
  for (let v = 0; v < words.length; v++) {
    if (wc[v] < 0 || bias[v] > -penalty) continue;
    const generic = ids.get(genericWord(COCO_CATEGORIES[wc[v]], plural[v] === 1) ?? '');
    if (generic !== undefined) out.push(v, generic);
  }
  return Int32Array.from(out);
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
  return { bias, wordCategory: wordCategoryIds(words), plural: pluralObjectWords(words), confident: new Uint8Array(n), boost: new Float32Array(n), endPenalty: 0, within: 0, boostFirst: false, refine: new Int32Array(0), penalty: 0, transfer: false, generalise: new Int32Array(0), article: -1, phrases: new Int32Array(0), attend: 0, regions: [] };
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
