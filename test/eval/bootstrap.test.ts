// Paired bootstrap: the mean difference exactly, an interval that contains it, a clear winner
// when one model is better on every photo, and a coin flip when the differences cancel.
import t from 'tap';
import { pairedBootstrap } from '../../src/eval/bootstrap.ts';

t.test('a model better on every photo wins every resample', async (t) => {
  const b = [0.1, 0.5, 0.3, 0.9, 0.2, 0.4];
  const r = pairedBootstrap(b.map((x) => x + 0.1), b);
  t.ok(Math.abs(r.diff - 0.1) < 1e-12);
  t.ok(Math.abs(r.low - 0.1) < 1e-12 && Math.abs(r.high - 0.1) < 1e-12, 'constant difference, no spread');
  t.equal(r.aBetter, 1);
});

t.test('differences that cancel give an interval around 0 and about half the resamples', async (t) => {
  const a = Array.from({ length: 400 }, (_, i) => (i % 2 ? 1 : 0));
  const b = Array.from({ length: 400 }, (_, i) => (i % 2 ? 0 : 1));
  const r = pairedBootstrap(a, b, 2000, 7);
  t.equal(r.diff, 0);
  t.ok(r.low < 0 && r.high > 0, `[${r.low}, ${r.high}]`);
  t.ok(r.high - r.low > 0.1 && r.high - r.low < 0.3, 'width about 4 standard errors of a ±1 mean over 400 (0.2)');
  t.ok(r.aBetter > 0.4 && r.aBetter < 0.6, `${r.aBetter}`);
});

t.test('refuses lists of different lengths', async (t) => {
  t.throws(() => pairedBootstrap([1, 2], [1]), /equal/);
  t.throws(() => pairedBootstrap([], []), /non-empty/);
});
