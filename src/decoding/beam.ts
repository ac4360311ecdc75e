import * as tf from '../runtime/tf.ts';
import { END_ID, START_ID } from '../data/vocab.ts';
import { disposeState, type Decoder } from '../model/decoder.ts';
import { constrainRow, contentWordMask, DEFAULT_REPETITION_PENALTY, endIsBest } from './constraints.ts';
import type { Hypothesis, WordStep } from './types.ts';

export interface BeamOptions {
  beamSize: number; // k, 1..10 in the API
  maxLength: number; // words, not counting <end>
  nBest: number; // how many finished hypotheses to return
  lengthPenalty: number; // α: rank by logprob / (words + 1)^α; 0 = plain log-probability
  repetitionPenalty?: number; // see constraints.ts (default DEFAULT_REPETITION_PENALTY)
}

interface Beam {
  logprob: number; // the model's log-probability
  guided: number; // logprob minus the repetition guard's penalties: what the search ranks by
  steps: WordStep[];
}

/**
 * Beam search over one image (features [1, L, D]). The k live hypotheses are decoded as one
 * batch of k rows; a hypothesis that emits <end> leaves the beam, which then shrinks, until
 * k hypotheses have finished (or the length limit forces <end>).
 */
export function beamSearch(decoder: Decoder, features: tf.Tensor3D, opts: BeamOptions): Hypothesis[] {
  if (features.shape[0] !== 1) throw new Error('beamSearch decodes one image at a time');
  const V = decoder.config.vocabSize;
  const L = decoder.regions;
  const k = opts.beamSize;
  const rank = (logprob: number, words: number) => logprob / Math.pow(words + 1, opts.lengthPenalty);
  const finished: Hypothesis[] = [];
  const constraints = { repetitionPenalty: opts.repetitionPenalty ?? DEFAULT_REPETITION_PENALTY };
  const content = contentWordMask(decoder.vocab.words);
  let beams: Beam[] = [{ logprob: 0, guided: 0, steps: [] }];
  let state = decoder.init(features);
  let prev = new Int32Array([START_ID]);
  try {
    for (let t = 0; t <= opts.maxLength && beams.length > 0; t++) {
      const out = decoder.step(state, prev);
      const lp = out.logprobs.dataSync() as Float32Array;
      const alpha = out.alpha.dataSync() as Float32Array;
      const beta = out.beta.dataSync();
      tf.dispose([out.logprobs, out.alpha, out.weights, out.beta]);
      const alive = k - finished.length;
      const glp = Float32Array.from(lp.subarray(0, beams.length * V)); // constrained copy; lp stays the model's
      for (let b = 0; b < beams.length; b++) constrainRow(glp, b * V, beams[b].steps.map((s) => s.id), content, constraints);
      // Top `alive` continuations that keep going, plus any better-ranked endings.
      const cands: { b: number; v: number; total: number }[] = [];
      for (let b = 0; b < beams.length; b++) {
        for (let v = 0; v < V; v++) {
          if (t === opts.maxLength && v !== END_ID) continue; // out of words: only <end>
          const total = beams[b].guided + glp[b * V + v];
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
      const parents: number[] = [];
      const words: number[] = [];
      for (const c of cands) {
        if (next.length + finished.length >= k) break;
        const parent = beams[c.b];
        if (c.v === END_ID) {
          const ids = parent.steps.map((s) => s.id);
          finished.push({ ids, words: parent.steps.map((s) => s.word), logprob: parent.logprob + lp[c.b * V + END_ID], score: rank(c.total, ids.length), steps: parent.steps, truncated: t === opts.maxLength && !endIsBest(glp, c.b * V, V) });
          continue;
        }
        const step: WordStep = { id: c.v, word: decoder.vocab.words[c.v], logprob: lp[c.b * V + c.v], beta: beta[c.b], alpha: alpha.slice(c.b * L, (c.b + 1) * L) };
        next.push({ logprob: parent.logprob + step.logprob, guided: c.total, steps: [...parent.steps, step] });
        parents.push(c.b);
        words.push(c.v);
      }
      const old = state;
      state = next.length ? decoder.select(out.state, Int32Array.from(parents)) : out.state;
      if (next.length) disposeState(out.state);
      disposeState(old);
      beams = next;
      prev = Int32Array.from(words);
    }
  } finally {
    disposeState(state);
  }
  finished.sort((x, y) => y.score - x.score);
  return finished.slice(0, Math.max(1, opts.nBest));
}

