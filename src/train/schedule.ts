import type { TrainOptions } from './options.ts';
import type { TrainState } from './checkpoint.ts';

/**
 * Learning-rate schedule and early stopping, both driven by the dev score of each epoch.
 *
 *   plateau:  lr ← max(minLr, lr · lrDecay) after `lrPatience` epochs without a better dev score
 *   cosine:   lr(e) = minLr + ½ (lr₀ − minLr)(1 + cos(π e / epochs)),  e = fractional epoch
 *   constant: lr₀
 *
 * Early stopping: `patience` epochs in a row without a better dev score end the run.
 */
export type ScheduleOptions = Pick<TrainOptions, 'lr' | 'lrSchedule' | 'lrDecay' | 'lrPatience' | 'minLr' | 'patience' | 'epochs'>;
type ScheduleState = Pick<TrainState, 'lr' | 'lrBadEpochs' | 'badEpochs' | 'bestScore' | 'bestEpoch'>;

export function currentLr(o: ScheduleOptions, s: ScheduleState, epochFloat: number): number {
  if (o.lrSchedule === 'cosine') return o.minLr + 0.5 * (o.lr - o.minLr) * (1 + Math.cos((Math.PI * Math.min(epochFloat, o.epochs)) / o.epochs));
  if (o.lrSchedule === 'plateau') return s.lr ?? o.lr;
  return o.lr;
}

export interface EpochVerdict {
  improved: boolean;
  lrDecayedTo?: number;
  stop: boolean;
}

/** Updates the state after an epoch's dev score (higher is better); says what happened. */
export function afterDevScore(o: ScheduleOptions, s: ScheduleState, epoch: number, score: number): EpochVerdict {
  const improved = s.bestScore === undefined || score > s.bestScore;
  if (improved) {
    s.bestScore = score;
    s.bestEpoch = epoch;
    s.badEpochs = 0;
    s.lrBadEpochs = 0;
    return { improved, stop: false };
  }
  s.badEpochs++;
  s.lrBadEpochs = (s.lrBadEpochs ?? 0) + 1;
  let lrDecayedTo: number | undefined;
  if (o.lrSchedule === 'plateau' && s.lrBadEpochs >= o.lrPatience) {
    const lr = s.lr ?? o.lr;
    const next = Math.max(o.minLr, lr * o.lrDecay);
    if (next < lr) lrDecayedTo = s.lr = next;
    s.lrBadEpochs = 0;
  }
  return { improved, lrDecayedTo, stop: s.badEpochs >= o.patience };
}
