// How far to trust a caption: a calibrated probability from the caption's length-normalised
// log-probability and its agreement with the encoder's own ImageNet top classes, plus plain
// warnings (low confidence, a subject the model has no word for, a cut caption).
import calibration from './confidence-calibration.json' with { type: 'json' };
import { classWords } from './imagenet-words.ts';

export interface ImageNetClass {
  index: number;
  label: string;
  score: number;
}

export interface Assessment {
  confidence: number;
  warnings: string[];
  /** The two inputs of the calibration, for clients that want to re-weigh them. */
  meanLogprob: number;
  agreement: number;
}

/** Confidence below this earns a "low confidence" warning (see README, Confidence). */
export const LOW_CONFIDENCE = calibration.lowConfidence;
/** A top class at least this likely counts as the photo's subject for the vocabulary warning. */
export const SUBJECT_SCORE = 0.3;

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

/**
 * `logprob` is the caption's total (words and <end>), `words` its length; `inVocabulary` says
 * whether the decoder has a word.
 */
export function assess(caption: string, words: number, logprob: number, classes: ImageNetClass[], inVocabulary: (w: string) => boolean, truncated = false): Assessment {
  const meanLogprob = logprob / (words + 1);
  const agreement = tagAgreement(caption, classes);
  const confidence = round3(calibrate(meanLogprob, agreement));
  const warnings: string[] = [];
  if (confidence < LOW_CONFIDENCE) warnings.push(`low confidence (${confidence.toFixed(2)}): the caption may well be wrong`);
  const known = (w: string) => w.split(' ').every((p) => inVocabulary(p) || inVocabulary(`${p}s`));
  for (const c of classes) {
    if (c.score < SUBJECT_SCORE) continue;
    const cw = classWords(c.index, c.label);
    if (!cw.some(known)) warnings.push(`subject not in the model's vocabulary: ${cw[0]} (the encoder sees "${c.label.split(',')[0]}", ${c.score.toFixed(2)})`);
  }
  if (truncated) warnings.push('caption cut at maxLength');
  return { confidence, warnings, meanLogprob: round3(meanLogprob), agreement: round3(agreement) };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
