// Caption options become one decoding plan, once, where a request enters (the HTTP routes, the
// CLI, a batch job): conflicts are refused, never silently ignored, and the defaults that depend
// on other options are filled in. The pipeline and the workers take the plan as it is.
import { CaptionOptionsSchema, type CaptionOptions, type DecodingPlan } from './schemas.ts';

/** Two options contradict each other (or one does nothing with the others): → 400 option_conflict. */
export class OptionConflictError extends Error {
  override name = 'OptionConflictError';
}

/** Random decoding: sampled words, or hard attention's sampled locations (each image its own seeded stream). */
export function isRandomDecoding(o: Pick<CaptionOptions, 'sample' | 'attention' | 'sampleLocations'>): boolean {
  return o.sample || (o.attention === 'hard' && o.sampleLocations);
}

/** The plan of parsed options: nBest is min(3, beamSize) for beam search and 1 for random decoding. */
export function decodingPlan(o: CaptionOptions): DecodingPlan {
  return { ...o, nBest: o.nBest ?? (isRandomDecoding(o) ? 1 : Math.min(3, o.beamSize)) };
}

/** The plan of raw options (scripts, tests): parsed with the schema's defaults, no conflict checks. */
export function parsePlan(input: Record<string, unknown> = {}): DecodingPlan {
  return decodingPlan(CaptionOptionsSchema.parse(input));
}

/**
 * Checks parsed options against the names the caller actually gave (`given`; defaults do not
 * count), then makes their plan. Throws OptionConflictError naming the conflict.
 */
export function resolveOptions(o: CaptionOptions, given: ReadonlySet<string>): DecodingPlan {
  const random = isRandomDecoding(o);
  const conflicts: string[] = [];
  if (o.sampleLocations && o.attention !== 'hard') conflicts.push('sampleLocations=true needs attention=hard (soft attention has no locations to sample)');
  if (given.has('temperature') && !o.sample) conflicts.push('temperature applies to sampling only: add sample=true or drop temperature');
  if (given.has('seed') && !random) conflicts.push('seed applies to random decoding only (sample=true, or attention=hard with sampleLocations=true)');
  if (given.has('beamSize') && random && o.beamSize !== 1) conflicts.push(`beamSize=${o.beamSize} applies to beam search, not to ${o.sample ? 'sampling (sample=true)' : 'sampled locations'}: drop beamSize, use nBest for several samples`);
  if (given.has('lengthPenalty') && (random || o.beamSize === 1) && o.lengthPenalty !== 0) conflicts.push('lengthPenalty ranks beam search hypotheses: it needs beamSize > 1 and no sampling');
  if (given.has('nBest') && !random && o.nBest! > o.beamSize) conflicts.push(`nBest=${o.nBest} exceeds beamSize=${o.beamSize}: beam search keeps only beamSize hypotheses`);
  if (conflicts.length) throw new OptionConflictError(conflicts.join('; '));
  return decodingPlan(o);
}

/**
 * The options that shape the search itself: plans with equal keys can be decoded as one batch.
 * undefined: random draws (sampling, sampled locations), decoded on their own, so that a caption
 * depends only on its seed and image index.
 */
export function batchKey(p: DecodingPlan): string | undefined {
  if (isRandomDecoding(p)) return undefined;
  return JSON.stringify([p.attention, p.beamSize, p.maxLength, p.lengthPenalty, p.repetitionPenalty, p.grounding]);
}

/** Whether a plan's answer shows fine focus maps: maps returned, fineFocus on, and focus maps at all (not with sampled locations). */
export function wantsFineFocus(p: Pick<DecodingPlan, 'includeMaps' | 'fineFocus' | 'attention' | 'sampleLocations'>): boolean {
  return p.includeMaps && p.fineFocus && !(p.attention === 'hard' && p.sampleLocations);
}
