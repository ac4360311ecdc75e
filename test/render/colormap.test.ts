import t from 'tap';
import { colorize, VIRIDIS } from '../../src/render/colormap.ts';

t.test('LUT has 256 RGB entries with viridis endpoints', async (t) => {
  t.equal(VIRIDIS.length, 256 * 3);
  t.same([...VIRIDIS.subarray(0, 3)], [0x44, 0x01, 0x54], 'value 0 is dark purple #440154');
  t.same([...VIRIDIS.subarray(765, 768)], [0xfd, 0xe7, 0x25], 'value 1 is yellow #fde725');
  t.same([...VIRIDIS.subarray(128 * 3, 129 * 3)].map((v) => Math.round(v / 4)), [0x21, 0x91, 0x8c].map((v) => Math.round(v / 4)),
    'midpoint is teal ≈ #21918c');
});

t.test('colorize maps values, clamping out-of-range and NaN', async (t) => {
  const rgb = colorize(new Float32Array([0, 1, -3, 7, NaN]));
  t.equal(rgb.length, 15);
  t.same([...rgb.subarray(0, 3)], [0x44, 0x01, 0x54]);
  t.same([...rgb.subarray(3, 6)], [0xfd, 0xe7, 0x25]);
  t.same([...rgb.subarray(6, 9)], [0x44, 0x01, 0x54], 'negative clamps to 0');
  t.same([...rgb.subarray(9, 12)], [0xfd, 0xe7, 0x25], '>1 clamps to 1');
  t.same([...rgb.subarray(12, 15)], [0x44, 0x01, 0x54], 'NaN maps to 0');
});

t.test('luminance increases monotonically (perceptual ordering)', async (t) => {
  let prev = -1;
  let ok = true;
  for (let i = 0; i < 256; i++) {
    const y = 0.2126 * VIRIDIS[i * 3] + 0.7152 * VIRIDIS[i * 3 + 1] + 0.0722 * VIRIDIS[i * 3 + 2];
    if (y < prev - 0.5) ok = false;
    prev = y;
  }
  t.ok(ok);
});
