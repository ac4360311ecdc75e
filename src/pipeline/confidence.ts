// How far to trust a caption: a calibrated probability from the caption's length-normalised
// log-probability and its agreement with the encoder's own ImageNet top classes (and, when the
// detector ran, with its detections), plus plain warnings (low confidence, a subject the model
// has no word for, an object word nothing was detected for, a confident detection left unnamed,
// a cut caption).
import { COCO_CATEGORIES } from '../detector/types.ts';
import { IMAGENET_TO_COCO } from '../decoding/imagenet-coco.ts';
import { CATEGORY_WORDS } from '../grounding/categories.ts';
import calibration from './confidence-calibration.json' with { type: 'json' };
import { classWords } from './imagenet-words.ts';
import type { Detection, Grounding } from '../service/schemas.ts';

export interface ImageNetClass {
  index: number;
  label: string;
  score: number;
}

export interface Assessment {
  confidence: number;
  warnings: string[];
  /** The inputs of the calibration, for clients that want to re-weigh them. */
  meanLogprob: number;
  agreement: number;
  /** When the detector ran: share of the object words with no detection of their category. */
  unsupported?: number;
  /** When the detector ran: best score of a confident detection (≥ NAMED_SCORE) whose category the caption does not name, else 0. */
  missed?: number;
}

/** What the detector said about one image: its detections and each word's grounding (undefined: not an object word). */
export interface ObjectEvidence {
  detections: Detection[];
  groundings: (Grounding | undefined)[];
}

/** Confidence below this earns a "low confidence" warning (see README, Confidence). */
export const LOW_CONFIDENCE = calibration.lowConfidence;
/** A top class at least this likely counts as the photo's subject for the vocabulary warning. */
export const SUBJECT_SCORE = 0.3;
/** A detection at least this likely is an object the caption should name (warning, and the `missed` input). */
export const NAMED_SCORE = 0.5;

/** Whether the caption mentions a word or phrase (plural-insensitive, whole words). */
export function mentions(caption: string, phrase: string): boolean {
  const text = ` ${caption.toLowerCase()} `;
  return [phrase, `${phrase}s`, `${phrase}es`].some((p) => text.includes(` ${p} `)) || (phrase.endsWith('s') && text.includes(` ${phrase.slice(0, -1)} `));
}

/** Σ score of the top classes the caption mentions (0 = it names none of what the encoder sees). */
export function tagAgreement(caption: string, classes: ImageNetClass[]): number {
  let sum = 0;
  for (const c of classes) if (classWords(c.index, c.label).some((w) => mentions(caption, w))) sum += c.score;
  return Math.min(1, sum);
}

/** The calibrated map: σ(bias + wLogprob · meanLogprob + wAgreement · agreement). */
export function calibrate(meanLogprob: number, agreement: number, c: { bias: number; wLogprob: number; wAgreement: number } = calibration): number {
  const z = c.bias + c.wLogprob * meanLogprob + c.wAgreement * agreement;
  return 1 / (1 + Math.exp(-z));
}

/** The detector's two inputs: unsupported object words (share) and the best confident detection left unnamed (score). */
export function objectInputs(o: ObjectEvidence): { unsupported: number; missed: number; unnamed: Detection[] } {
  const objectWords = o.groundings.filter((g) => g !== undefined);
  const unsupported = objectWords.length ? objectWords.filter((g) => !('box' in g)).length / objectWords.length : 0;
  const named = new Set(objectWords.map((g) => g.category));
  const unnamed = o.detections.filter((d) => d.score >= NAMED_SCORE && !named.has(d.category));
  return { unsupported, missed: Math.max(0, ...unnamed.map((d) => d.score)), unnamed };
}

/**
 * With detections: σ(b + w₁·meanLogprob + w₂·agreement + w₃·unsupported + w₄·missed), the map
 * fitted with them (`grounded` in the calibration file); without, or before that fit, calibrate().
 */
export function calibrateWith(meanLogprob: number, agreement: number, objects?: { unsupported: number; missed: number }): number {
  const g = (calibration as { grounded?: { bias: number; wLogprob: number; wAgreement: number; wUnsupported: number; wMissed: number } }).grounded;
  if (!objects || !g) return calibrate(meanLogprob, agreement);
  return 1 / (1 + Math.exp(-(g.bias + g.wLogprob * meanLogprob + g.wAgreement * agreement + g.wUnsupported * objects.unsupported + g.wMissed * objects.missed)));
}

/**
 * `logprob` is the caption's total (words and <end>), `words` its length; `inVocabulary` says
 * whether the decoder has a word; `objects` what the detector found, when it ran.
 */
export function assess(caption: string, words: number, logprob: number, classes: ImageNetClass[], inVocabulary: (w: string) => boolean, truncated = false, objects?: ObjectEvidence): Assessment {
  const meanLogprob = logprob / (words + 1);
  const agreement = tagAgreement(caption, classes);
  const inputs = objects && objectInputs(objects);
  const confidence = round3(calibrateWith(meanLogprob, agreement, inputs));
  const warnings: string[] = [];
  if (confidence < LOW_CONFIDENCE) warnings.push(`low confidence (${confidence.toFixed(2)}): the caption may well be wrong`);
  const known = (w: string) => w.split(' ').every((p) => inVocabulary(p) || inVocabulary(`${p}s`));
  for (const c of classes) {
    if (c.score < SUBJECT_SCORE) continue;
    const cw = classWords(c.index, c.label);
    const sees = `the encoder sees "${c.label.split(',')[0]}", ${c.score.toFixed(2)}`;
    if (!cw.some(known)) warnings.push(`subject not in the model's vocabulary: ${cw[0]} (${sees})`);
    else if (!inputs) {
      // A COCO object the encoder is sure of that the caption leaves out, though the model has a
      // word for it (the detector's own "not named" warning below covers this when it ran).
      const cat = IMAGENET_TO_COCO[c.index];
      const said = new Set(caption.split(' '));
      if (cat >= 0 && !(CATEGORY_WORDS[COCO_CATEGORIES[cat]] ?? []).some((w) => said.has(w))) warnings.push(`not named: ${COCO_CATEGORIES[cat]} (${sees})`);
    }
  }
  if (inputs) {
    // Words the detector does not back (likely hallucinations), then objects it is sure of that go unnamed.
    // The groundings are the caption's words', in order.
    const words = caption.split(' ');
    const unsupported = new Map<string, string>(); // word → category, each word once
    objects!.groundings.forEach((g, i) => { if (g && !('box' in g)) unsupported.set(words[i], g.category); });
    for (const [w, c] of unsupported) warnings.push(`possibly not in the photo: "${w}" (the object detector finds no ${c})`);
    const best = new Map<string, number>();
    for (const d of inputs.unnamed) best.set(d.category, Math.max(best.get(d.category) ?? 0, d.score));
    for (const [c, score] of best) {
      const noWord = ![c, ...(CATEGORY_WORDS[c] ?? [])].some((w) => w.split(' ').every((p) => inVocabulary(p)));
      warnings.push(`not named: ${c} (the object detector finds one, ${score.toFixed(2)}${noWord ? '; the model has no word for it' : ''})`);
    }
  }
  if (truncated) warnings.push('caption cut at maxLength');
  const out: Assessment = { confidence, warnings, meanLogprob: round3(meanLogprob), agreement: round3(agreement) };
  if (inputs) Object.assign(out, { unsupported: round3(inputs.unsupported), missed: round3(inputs.missed) });
  return out;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
