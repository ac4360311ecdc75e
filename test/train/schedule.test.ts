import t from 'tap';
import { afterDevScore, currentLr, type ScheduleOptions } from '../../src/train/schedule.ts';

const base: ScheduleOptions = { lr: 4e-4, lrSchedule: 'plateau', lrDecay: 0.5, lrPatience: 1, minLr: 1e-5, patience: 3, epochs: 10 };

t.test('plateau: lr halves after an epoch without a better dev score, early stopping after `patience`', async (t) => {
  const s = { badEpochs: 0, bestEpoch: -1 } as Parameters<typeof afterDevScore>[1];
  t.equal(currentLr(base, s, 0), 4e-4);
  t.same(afterDevScore(base, s, 0, 0.40), { improved: true, stop: false });
  t.same(afterDevScore(base, s, 1, 0.45), { improved: true, stop: false });
  t.same(afterDevScore(base, s, 2, 0.44), { improved: false, lrDecayedTo: 2e-4, stop: false });
  t.equal(currentLr(base, s, 3), 2e-4);
  t.same(afterDevScore(base, s, 3, 0.45), { improved: false, lrDecayedTo: 1e-4, stop: false }, 'a tie is not an improvement');
  t.same(afterDevScore(base, s, 4, 0.30), { improved: false, lrDecayedTo: 5e-5, stop: true }, 'three bad epochs in a row stop the run');
  t.equal(s.bestEpoch, 1);
  t.equal(s.bestScore, 0.45);
});

t.test('plateau: lr never goes below minLr; improvement resets both counters', async (t) => {
  const o = { ...base, lr: 2e-5, patience: 10 };
  const s = { badEpochs: 0, bestEpoch: -1 } as Parameters<typeof afterDevScore>[1];
  afterDevScore(o, s, 0, 0.5);
  t.equal(afterDevScore(o, s, 1, 0.4).lrDecayedTo, 1e-5);
  t.equal(afterDevScore(o, s, 2, 0.4).lrDecayedTo, undefined, 'already at the floor');
  t.equal(currentLr(o, s, 3), 1e-5);
  t.ok(afterDevScore(o, s, 3, 0.6).improved);
  t.equal(s.badEpochs, 0);
});

t.test('cosine: lr₀ at the start, minLr at the last epoch, the midpoint halfway', async (t) => {
  const o = { ...base, lrSchedule: 'cosine' as const };
  const s = { badEpochs: 0, bestEpoch: -1 } as Parameters<typeof afterDevScore>[1];
  t.equal(currentLr(o, s, 0), 4e-4);
  t.ok(Math.abs(currentLr(o, s, 5) - (1e-5 + 4e-4) / 2) < 1e-12);
  t.ok(Math.abs(currentLr(o, s, 10) - 1e-5) < 1e-12);
  t.equal(currentLr({ ...base, lrSchedule: 'constant' }, s, 7), 4e-4);
});
