// Mixes two decoders in weight space (src/model/interpolate.ts) and writes the mix as a float32
// model folder, to be scored and shipped with scripts/ship-model.ts --from.
//   npx tsx scripts/interpolate-models.ts --a models/hard --b runs/hard-focus/latest --w 0.5 --out /tmp/mix
import { parseArgs } from 'node:util';
import { loadDecoder, saveDecoder } from '../src/model/io.ts';
import { interpolateDecoders } from '../src/model/interpolate.ts';

const { values } = parseArgs({ options: { a: { type: 'string' }, b: { type: 'string' }, w: { type: 'string' }, out: { type: 'string' } } });
if (!values.a || !values.b || values.w === undefined || !values.out) throw new Error('usage: --a DIR --b DIR --w 0..1 --out DIR');
const [a, b] = await Promise.all([loadDecoder(values.a), loadDecoder(values.b)]);
const mix = interpolateDecoders(a, b, Number(values.w));
await saveDecoder(values.out, { ...mix, card: { interpolation: { a: values.a, b: values.b, w: Number(values.w), method: 'WiSE-FT (1 - w)·a + w·b' } } }, 'float32');
console.log(`wrote ${values.out}: (1 - ${values.w})·${values.a} + ${values.w}·${values.b}`);
