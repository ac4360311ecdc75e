import { END_ID, START_ID } from '../data/vocab.ts';
import type { StepDecoder } from '../model/step.ts';
import { constrainRow, contentWordMask, DEFAULT_REPETITION_PENALTY, endIsBest } from './constraints.ts';
import { searchGrounding, type ImageGrounding } from './grounding.ts';
import type { Hypothesis, WordStep } from './types.ts';

export interface BeamOptions {
  beamSize: number; // k, 1..10 in the API
  maxLength: number; // words, not counting <end>
  nBest: number; // how many finished hypotheses to return
  lengthPenalty: number; // α: rank by logprob / (words + 1)^α; 0 = plain log-probability
  /** false: keep no attention maps in the steps (α is empty); default true */
  maps?: boolean;
  repetitionPenalty?: number; // see constraints.ts (default DEFAULT_REPETITION_PENALTY)
  /** per image: its grounding rules (grounding.ts); missing or null: grounding off */
  grounding?: readonly (ImageGrounding | null | undefined)[];
}

interface Beam {
  logprob: number; // the model's log-probability
  guided: number; // logprob minus the repetition guard's penalties: what the search ranks by
  steps: WordStep[];
}

const NO_MAP = new Float32Array(0);

/** Beam search over one image (features [1, L, D], row-major). */
export function beamSearch<S>(decoder: StepDecoder<S>, features: Float32Array, opts: BeamOptions): Hypothesis[] {
  if (imageCount(decoder, features) !== 1) throw new Error('beamSearch decodes one image at a time (beamSearchBatch decodes several)');
  return beamSearchBatch(decoder, features, opts)[0];
}

/**
 * Beam search over several images at once (features [N, L, D]): the live hypotheses of every
 * image are the rows of one decoder step. Per image it is exactly the one-image search: its k
 * live hypotheses compete only with each other; one that emits <end> leaves the beam, which then
 * shrinks, until k hypotheses have finished (or the length limit forces <end>).
 */
export function beamSearchBatch<S>(decoder: StepDecoder<S>, features: Float32Array, opts: BeamOptions): Hypothesis[][] {
  const N = imageCount(decoder, features);
  const V = decoder.config.vocabSize;
  const L = decoder.regions;
  const hid = decoder.config.hiddenDim;
  const k = opts.beamSize;
  const maps = opts.maps ?? true;
  const rank = (logprob: number, words: number) => logprob / Math.pow(words + 1, opts.lengthPenalty);
  const finished: Hypothesis[][] = Array.from({ length: N }, () => []);
  const constraints = { repetitionPenalty: opts.repetitionPenalty ?? DEFAULT_REPETITION_PENALTY };
  const content = contentWordMask(decoder.vocab.words);
  const grounding = searchGrounding(decoder.vocab.words, decoder.config.supportedOnly, opts.grounding, N);
  let beams: Beam[][] = Array.from({ length: N }, () => [{ logprob: 0, guided: 0, steps: [] }]);
  let state = decoder.init(features, N);
  let prev = new Int32Array(N).fill(START_ID);
  try {
    for (let t = 0; t <= opts.maxLength && beams.some((b) => b.length > 0); t++) {
      const out = decoder.step(state, prev);
      const { logprobs: lp, alpha, beta } = out;
      const hidden = maps ? decoder.hidden(out.state) : undefined; // h_t for focus maps
      const rows = beams.reduce((s, b) => s + b.length, 0);
      const glp = Float32Array.from(lp.subarray(0, rows * V)); // constrained copy; lp stays the model's
      let r0 = 0;
      beams.forEach((mine, n) => { for (const beam of mine) {
        constrainRow(glp, r0 * V, beam.steps.map((s) => s.id), content, constraints, grounding[n], alpha.subarray(r0 * L, (r0 + 1) * L));
        r0++;
      } });
      const parents: number[] = [];
      const words: number[] = [];
      let row0 = 0; // rows of image n: row0 .. row0 + beams[n].length - 1
      const nextAll = beams.map((mine, n) => {
        const done = finished[n];
        const alive = k - done.length;
        // Top `alive` continuations that keep going, plus any better-ranked endings.
        const cands: { b: number; v: number; total: number }[] = [];
        for (let b = 0; b < mine.length; b++) {
          const r = row0 + b;
          for (let v = 0; v < V; v++) {
            if (t === opts.maxLength && v !== END_ID) continue; // out of words: only <end>
            const total = mine[b].guided + glp[r * V + v];
            if (total === -Infinity) continue;
            if (cands.length < 2 * alive) {
              cands.push({ b, v, total });
              if (cands.length === 2 * alive) cands.sort((x, y) => y.total - x.total);
            } else if (total > cands[cands.length - 1].total) {
              cands[cands.length - 1] = { b, v, total };
              for (let i = cands.length - 1; i > 0 && cands[i].total > cands[i - 1].total; i--) [cands[i], cands[i - 1]] = [cands[i - 1], cands[i]];
            }
          }
        }
        cands.sort((x, y) => y.total - x.total);
        const next: Beam[] = [];
        for (const c of cands) {
          if (next.length + done.length >= k) break;
          const parent = mine[c.b];
          const r = row0 + c.b;
          if (c.v === END_ID) {
            const ids = parent.steps.map((s) => s.id);
            done.push({ ids, words: parent.steps.map((s) => s.word), logprob: parent.logprob + lp[r * V + END_ID], score: rank(c.total, ids.length), steps: parent.steps, truncated: t === opts.maxLength && !endIsBest(glp, r * V, V) });
            continue;
          }
          const step: WordStep = { id: c.v, word: decoder.vocab.words[c.v], logprob: lp[r * V + c.v], beta: beta[r], alpha: maps ? alpha.slice(r * L, (r + 1) * L) : NO_MAP };
          if (hidden) step.hidden = hidden.slice(r * hid, (r + 1) * hid);
          next.push({ logprob: parent.logprob + step.logprob, guided: c.total, steps: [...parent.steps, step] });
          parents.push(r);
          words.push(c.v);
        }
        row0 += mine.length;
        return next;
      });
      const old = state;
      state = parents.length ? decoder.select(out.state, Int32Array.from(parents)) : out.state;
      if (parents.length) decoder.release(out.state);
      decoder.release(old);
      beams = nextAll;
      prev = Int32Array.from(words);
    }
  } finally {
    decoder.release(state);
  }
  return finished.map((done) => {
    done.sort((x, y) => y.score - x.score);
    return done.slice(0, Math.max(1, opts.nBest));
  });
}

/** Number of images in row-major features [N, L, D]. */
export function imageCount(decoder: StepDecoder<unknown>, features: Float32Array): number {
  const per = decoder.regions * decoder.config.featureDim;
  if (features.length === 0 || features.length % per !== 0) throw new Error(`features: expected a multiple of ${decoder.regions}×${decoder.config.featureDim} values, got ${features.length}`);
  return features.length / per;
}
