// Encoder latency at 224 (7×7 grid) vs 448 (14×14 grid): `npx tsx bench/encoder.ts [--models-dir models] [--n 20]`
import sharp from 'sharp';
import { Encoder } from '../src/encoder/encoder.ts';
import { prepareImage } from '../src/encoder/preprocess.ts';
import { parseArgs } from '../src/util/args.ts';

const { options } = parseArgs(process.argv.slice(2));
const modelsDir = String(options.modelsDir ?? process.env.MODELS_DIR ?? 'models');
const n = Number(options.n ?? 20);
const img = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#6a9' } }).jpeg().toBuffer();
console.log('| input | grid | batch | ms/image (median) | preprocess ms |');
console.log('|---|---|---|---|---|');
for (const size of [224, 448] as const) {
  const enc = await Encoder.load({ modelsDir, inputSize: size, allowDownload: false });
  for (const batch of [1, 8]) {
    const t0 = performance.now();
    const prepared = await Promise.all(Array.from({ length: batch }, () => prepareImage(img, size)));
    const pre = (performance.now() - t0) / batch;
    await enc.encode(prepared.map((p) => p.tensor));
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await enc.encode(prepared.map((p) => p.tensor));
      times.push((performance.now() - t) / batch);
    }
    times.sort((a, b) => a - b);
    console.log(`| ${size} | ${enc.grid.h}×${enc.grid.w} | ${batch} | ${times[Math.floor(n / 2)].toFixed(1)} | ${pre.toFixed(1)} |`);
  }
  await enc.dispose();
}
