// The search stage of the pipeline: a resolved plan's decoding (random draws, greedy or beam
// search) over annotation vectors, and each decoded step as the API shows it.
import { beamSearchBatch } from '../decoding/beam.ts';
import type { ImageGrounding } from '../decoding/grounding.ts';
import { focusMaps, objectSteps, type FineFeatures } from '../decoding/focus.ts';
import { argmaxChooser, decodeStepwise, samplingChooser } from '../decoding/stepwise.ts';
import type { Hypothesis, WordStep } from '../decoding/types.ts';
import type { ContextMode, StepDecoder } from '../model/step.ts';
import { isRandomDecoding } from '../service/options.ts';
import type { DecodingPlan, Token } from '../service/schemas.ts';
import { deriveSeed, mulberry32 } from '../util/rng.ts';

/**
 * Hypotheses (best first) for every image of features [N, L, D], with focus maps on the best ones'
 * object words when `focus`; `onStep(n, step)` streams words (greedy and sampled words as they
 * come, without focus maps; beam search's once the search ends, with them). `fine(images)` gives
 * the finer grid's features of the images whose best caption names an object (undefined where
 * there are none); it is asked once the search knows which (the encoder's second pass costs as
 * much as the rest: docs/benchmarks.md).
 */
export async function decodeImages(decoder: StepDecoder, features: Float32Array, o: DecodingPlan, maps: boolean, onStep?: (n: number, s: WordStep) => void, grounding?: ImageGrounding[], focus = maps, fine?: (images: number[]) => Promise<(FineFeatures | undefined)[]>): Promise<Hypothesis[][]> {
  const beam = !isRandomDecoding(o) && o.beamSize > 1;
  const hyps = search(decoder, features, o, maps, beam ? undefined : onStep, grounding);
  if (focus) {
    const named = hyps.flatMap((hs, n) => (objectSteps(hs[0].words).size ? [n] : []));
    const byImage: (FineFeatures | undefined)[] = [];
    if (fine && named.length) (await fine(named)).forEach((f, k) => (byImage[named[k]] = f));
    addFocus(decoder, features, hyps, o, byImage);
  }
  // Beam search: the words are only final once the search ends.
  if (beam && onStep) hyps.forEach((hs, n) => hs[0].steps.forEach((s) => onStep(n, s)));
  return hyps;
}

/**
 * Focus maps (src/decoding/focus.ts) on each image's best hypothesis, for its object words. Not
 * for sampled locations: there the token shows the region the context came from.
 */
function addFocus(decoder: StepDecoder, features: Float32Array, hyps: Hypothesis[][], o: Pick<DecodingPlan, 'attention' | 'sampleLocations'>, fine: (FineFeatures | undefined)[]): void {
  if (o.attention === 'hard' && o.sampleLocations) return;
  const per = decoder.regions * decoder.config.featureDim;
  hyps.forEach((hs, n) => {
    const best = hs[0];
    focusMaps(decoder, features.subarray(n * per, (n + 1) * per), best, fine[n]).forEach((map, t) => {
      if (!map) return;
      best.steps[t].focus = map;
      if (fine[n]) best.steps[t].focusGrid = fine[n].grid;
    });
  });
}

function search(decoder: StepDecoder, features: Float32Array, o: DecodingPlan, maps: boolean, onStep?: (n: number, s: WordStep) => void, grounding?: ImageGrounding[]): Hypothesis[][] {
  const per = decoder.regions * decoder.config.featureDim;
  const N = features.length / per;
  const { repetitionPenalty } = o;
  if (isRandomDecoding(o)) {
    // Random draws: each image gets its own stream (seed, image index), so its caption does not
    // depend on which other images share the request; sample j > 0 of it uses (seed, image, j).
    // Beam search over random draws is meaningless. Only sample 0 (the caption) is streamed.
    const seed = o.seed ?? (Math.random() * 2 ** 31) >>> 0;
    const samples = o.nBest;
    return Array.from({ length: N }, (_, n) =>
      Array.from({ length: samples }, (_, j) => {
        const rng = mulberry32(j === 0 ? deriveSeed(seed, n) : deriveSeed(seed, n, j));
        const mode: ContextMode = o.attention === 'hard' && o.sampleLocations ? { kind: 'sample', rng } : { kind: 'expected' };
        const choose = o.sample ? samplingChooser(rng, o.temperature) : argmaxChooser;
        const step = j === 0 && onStep ? (_k: number, s: WordStep) => onStep(n, s) : undefined;
        return decodeStepwise(decoder, features.subarray(n * per, (n + 1) * per), { maxLength: o.maxLength, choose, mode, details: true, maps, onStep: step, repetitionPenalty, grounding: grounding && [grounding[n]] })[0];
      }),
    );
  }
  if (o.beamSize === 1) {
    // Greedy: deterministic, so all images are decoded as one batch, word by word.
    return decodeStepwise(decoder, features, { maxLength: o.maxLength, choose: argmaxChooser, details: true, maps, onStep, repetitionPenalty, grounding }).map((h) => [h]);
  }
  // nBest = beamSize: the search does not depend on nBest, each request keeps its own n-best.
  return beamSearchBatch(decoder, features, { beamSize: o.beamSize, maxLength: o.maxLength, nBest: o.beamSize, lengthPenalty: o.lengthPenalty, maps, repetitionPenalty, grounding });
}

/** A decoded step as the API shows it: α (h×w) and an object word's focus (its own grid) rounded to mapDecimals (includeMaps), the sampled region. */
export function toToken(s: WordStep, grid: { h: number; w: number }, o: Pick<DecodingPlan, 'includeMaps' | 'mapDecimals'>): Token {
  const { w } = grid;
  const token: Token = { word: s.word, logprob: s.logprob, beta: s.beta };
  const scale = 10 ** o.mapDecimals;
  const asGrid = (map: Float32Array, g: { h: number; w: number }) => Array.from({ length: g.h }, (_, r) => Array.from(map.subarray(r * g.w, (r + 1) * g.w), (v) => Math.round(v * scale) / scale));
  if (o.includeMaps) token.attention = asGrid(s.alpha, grid);
  if (o.includeMaps && s.focus) token.focus = asGrid(s.focus, s.focusGrid ?? grid);
  if (s.region !== undefined && s.region >= 0) token.region = { index: s.region, row: Math.floor(s.region / w), col: s.region % w };
  return token;
}
