// Viridis colormap as a 256-entry RGB lookup table.
// Viridis is perceptually uniform and readable by colour-blind viewers, unlike jet.

// Viridis (CC0, van der Walt & Smith) sampled at t = k/32; the 256-entry LUT is
// interpolated from these stops (max error < 2/255 against the reference table).
const STOPS = [
  '440154', '470d60', '48186a', '482374', '472d7b', '453681', '424086', '3f4989', '3b528b',
  '375a8d', '33638d', '2f6a8e', '2c728e', '297a8e', '26818e', '23898e', '21908c', '1f988b',
  '1f9f88', '21a685', '28ae80', '31b57b', '3ebc74', '4cc26c', '5dc963', '6ece58', '82d34c',
  '96d83f', 'abdc32', 'c0df24', 'd5e21a', 'eae51a', 'fde725',
];

function buildLut(): Uint8Array {
  const stops = STOPS.map((hex) => [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16)));
  const segments = stops.length - 1;
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = (i / 255) * segments;
    const k = Math.min(Math.floor(t), segments - 1);
    const f = t - k;
    for (let c = 0; c < 3; c++) {
      lut[i * 3 + c] = Math.round(stops[k][c] + (stops[k + 1][c] - stops[k][c]) * f);
    }
  }
  return lut;
}

/** 256 RGB triples, index 0 = value 0 (dark purple), 255 = value 1 (yellow). */
export const VIRIDIS: Uint8Array = buildLut();

/** LUT index for a value in [0,1]; NaN and out-of-range values are clamped (NaN → 0). */
export function lutIndex(v: number): number {
  if (!(v > 0)) return 0;
  if (v >= 1) return 255;
  return Math.round(v * 255);
}

/** Map values in [0,1] to interleaved RGB (3 bytes per value). */
export function colorize(values01: Float32Array): Uint8Array {
  const out = new Uint8Array(values01.length * 3);
  for (let i = 0; i < values01.length; i++) {
    const j = lutIndex(values01[i]) * 3;
    out[i * 3] = VIRIDIS[j];
    out[i * 3 + 1] = VIRIDIS[j + 1];
    out[i * 3 + 2] = VIRIDIS[j + 2];
  }
  return out;
}
