// Encoder latency and memory at 224 (7×7 grid) vs 448 (14×14 grid), by images per run:
//   npx tsx bench/encoder.ts [--models-dir models] [--n 20]
// Each (input, batch) runs in its own process, so its peak RSS (ONNX Runtime's arena keeps the
// largest run's activations) is its own; it is shown over the RSS of the loaded encoder.
// The captioner's chunk size (encodeChunk in src/pipeline/encode.ts) comes from this table.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { Encoder, type InputSize } from '../src/encoder/encoder.ts';
import { prepareImage } from '../src/encoder/preprocess.ts';
import { encodeChunk } from '../src/pipeline/captioner.ts';
import { parseArgs } from '../src/util/args.ts';

const { options } = parseArgs(process.argv.slice(2));
const modelsDir = String(options.modelsDir ?? process.env.MODELS_DIR ?? 'models');
const n = Number(options.n ?? 20);

/** One configuration, in this (child) process: prints a JSON line. */
async function measure(size: InputSize, batch: number): Promise<void> {
  const img = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#6a9' } }).jpeg().toBuffer();
  const enc = await Encoder.load({ modelsDir, inputSize: size, allowDownload: false });
  const loadedMB = process.memoryUsage().rss / 1e6;
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
  const peakMB = process.resourceUsage().maxRSS / 1e3; // kB → MB
  console.log(JSON.stringify({ grid: `${enc.grid.h}×${enc.grid.w}`, ms: times[Math.floor(n / 2)], pre, loadedMB, peakMB }));
  await enc.dispose();
}

if (options.child) {
  await measure(Number(options.size) as InputSize, Number(options.batch));
} else {
  console.log('| input | grid | images per run | ms/image (median) | preprocess ms/image | peak RSS over loaded encoder, MB | captioner chunk |');
  console.log('|---|---|---|---|---|---|---|');
  for (const size of [224, 448] as const) {
    for (const batch of [1, 2, 4, 8]) {
      const out = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', '--size', String(size), '--batch', String(batch), '--models-dir', modelsDir, '--n', String(n)], { encoding: 'utf8' });
      const r = JSON.parse(out.trim().split('\n').pop()!);
      console.log(`| ${size} | ${r.grid} | ${batch} | ${r.ms.toFixed(1)} | ${r.pre.toFixed(1)} | +${(r.peakMB - r.loadedMB).toFixed(0)} | ${batch === encodeChunk(size) ? '←' : ''} |`);
    }
  }
}
