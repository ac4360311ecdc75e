import t from 'tap';
import { decodeHalf, encodeHalf, fromHalf, toHalf } from '../../src/util/float16.ts';

t.test('exact values and specials', async (t) => {
  const cases: [number, number][] = [
    [0, 0x0000], [-0, 0x8000], [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [65504, 0x7bff],
    [6.103515625e-5, 0x0400], // smallest normal
    [5.960464477539063e-8, 0x0001], // smallest subnormal
    [Infinity, 0x7c00], [-Infinity, 0xfc00], [1e6, 0x7c00],
  ];
  for (const [v, h] of cases) {
    t.equal(toHalf(v), h, `toHalf(${v})`);
    t.ok(Object.is(fromHalf(h), v > 65504 ? Infinity : v), `fromHalf(0x${h.toString(16)})`);
  }
  t.ok(Number.isNaN(fromHalf(toHalf(NaN))));
});

t.test('round to nearest even', async (t) => {
  t.equal(toHalf(1 + 2 ** -11), 0x3c00, 'halfway rounds down to even');
  t.equal(toHalf(1 + 3 * 2 ** -11), 0x3c02, 'halfway rounds up to even');
  t.equal(toHalf(1 + 2 ** -11 + 2 ** -20), 0x3c01, 'above halfway rounds up');
});

t.test('array round-trip keeps 3 significant digits over the activation range', async (t) => {
  const src = Float32Array.from({ length: 10000 }, (_, i) => (i / 10000) * 6 * (i % 2 ? 1 : -1));
  const back = decodeHalf(encodeHalf(src));
  let worst = 0;
  src.forEach((v, i) => { worst = Math.max(worst, Math.abs(back[i] - v) / Math.max(Math.abs(v), 1e-3)); });
  t.ok(worst <= 2 ** -11, `worst relative error ${worst}`);
  t.same(encodeHalf(back), encodeHalf(src), 'half -> float -> half is the identity');
});
