import t from 'tap';
import { greedyAdvantages, leaveOneOutAdvantages, movingAverage } from '../../src/model/reinforce.ts';

t.test('leave-one-out baseline: each sample against the mean of the other samples of its image', async (t) => {
  const adv = leaveOneOutAdvantages([1, 2, 3, 10, 10, 10], 3);
  // image 0: 1 − (2+3)/2 = −1.5, 2 − 2 = 0, 3 − 1.5 = 1.5; image 1: all equal → 0
  t.same(Array.from(adv), [-1.5, 0, 1.5, 0, 0, 0]);
  t.throws(() => leaveOneOutAdvantages([1, 2, 3], 2), /multiple/);
  t.throws(() => leaveOneOutAdvantages([1], 1), /at least 2/);
});

t.test('greedy baseline: each sample against the greedy caption of its image', async (t) => {
  t.same(Array.from(greedyAdvantages([0.5, 1.5, 2, 0], [1, 0.5], 2)), [-0.5, 0.5, 1.5, -0.5]);
  t.throws(() => greedyAdvantages([1, 2, 3], [1], 2), /images/);
});

t.test('moving-average baseline of hard attention: b ← 0.9 b + 0.1 r, the first batch sets it', async (t) => {
  t.equal(movingAverage(null, -3), -3);
  t.equal(movingAverage(-3, -2), 0.9 * -3 + 0.1 * -2);
});
