// The detector on ONNX Runtime (1 intra-op thread, as each server worker runs it) at several input
// sizes vs the original TF.js graph on tfjs-wasm, and the encoder at 448 for scale:
//   npm run bench:detector [-- --n 20 --sizes 512,448,384,320 --models-dir models]
// Timing: all runtimes loaded in this process and run in turn, image by image, so a busy machine
// slows them alike (compare the ratios); CPU ms (this process's user + system time during the
// run) is what a run costs whatever the contention, wall ms what a caller waits. Memory: each ORT configuration in its own process, the
// RSS it adds = its peak RSS − the RSS before the detector was loaded (onnxruntime already imported).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import sharp from 'sharp';
import { DEFAULT_DETECTOR_SIZE, Detector } from '../src/detector/detector.ts';
import { Encoder } from '../src/encoder/encoder.ts';
import { prepareImage, type PreparedImage } from '../src/encoder/preprocess.ts';
import { initBackend } from '../src/runtime/backend.ts';
import { parseArgs } from '../src/util/args.ts';
import { loadTfjsDetector, pixelsNhwc } from '../test/helpers/tfjs-detector.ts';

const { options } = parseArgs(process.argv.slice(2));
const modelsDir = String(options.modelsDir ?? process.env.MODELS_DIR ?? 'models');
const n = Number(options.n ?? 20);
const sizes = String(options.sizes ?? '512,448,384,320').split(',').map(Number);
const photos = resolve(process.env.SHARED_DIR ?? '../shared', 'data/coco-mini-train/train2017');

/** n photos (COCO when ../shared is there, else a flat synthetic image), prepared at `size`. */
async function images(size: number): Promise<PreparedImage[]> {
  const files = existsSync(photos) ? readdirSync(photos).sort().slice(0, n).map((f) => readFileSync(join(photos, f))) : [];
  const fallback = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#6a9' } }).jpeg().toBuffer();
  return Promise.all(Array.from({ length: n }, (_, i) => prepareImage(files[i] ?? fallback, size)));
}

/**
 * One ORT configuration in this (child) process: prints its memory as a JSON line. The input is
 * a synthetic tensor (activations depend on shapes only): decoding photos with sharp here would
 * raise the process's peak RSS before the detector is even loaded.
 */
async function memory(size: number): Promise<void> {
  void ort.env;
  const tensor = new Float32Array(3 * 448 * 448).map((_, i) => ((i * 7919) % 1000) / 500 - 1);
  const before = process.memoryUsage().rss / 1e6;
  const det = await Detector.load({ modelsDir, inputSize: size, intraOpThreads: 1 });
  const loaded = process.memoryUsage().rss / 1e6;
  for (let i = 0; i < n; i++) await det.detect([tensor]);
  const peak = peakRssMB();
  console.log(JSON.stringify({ loaded: loaded - before, peak: peak - before }));
}

/**
 * This process's peak RSS (VmHWM). Not resourceUsage().maxRSS: Linux carries that over exec from
 * the forking parent, so a child of a big parent would report the parent's peak.
 */
function peakRssMB(): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return kb ? Number(kb[1]) / 1e3 : process.resourceUsage().maxRSS / 1e3;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timing(): Promise<void> {
  await initBackend('wasm');
  const at448 = await images(448);
  const at512 = await images(512);
  const runners: { label: string; run: (i: number) => Promise<unknown>; ms: number[]; cpu: number[] }[] = [];
  const enc = await Encoder.load({ modelsDir, inputSize: 448, intraOpThreads: 1 });
  runners.push({ label: 'encoder 448 (reference)', run: (i) => enc.encode([at448[i].tensor]), ms: [], cpu: [] });
  for (const s of sizes) {
    const det = await Detector.load({ modelsDir, inputSize: s, intraOpThreads: 1 });
    runners.push({ label: `ORT CenterNet ${s} (from the 448 tensor)`, run: (i) => det.detect([at448[i]]), ms: [], cpu: [] });
  }
  // The original graph at the default size too (its resize constants scaled; heads only, as its
  // tail's constants are for 512): the same work as the ORT graph, on the other runtime.
  const tfjsSmall = await loadTfjsDetector(join(modelsDir, 'detector/centernet.json'), DEFAULT_DETECTOR_SIZE);
  const small = (await images(DEFAULT_DETECTOR_SIZE)).map((im) => pixelsNhwc(im.tensor, DEFAULT_DETECTOR_SIZE));
  runners.push({ label: `tfjs-wasm CenterNet ${DEFAULT_DETECTOR_SIZE} (original graph, heads only)`, run: async (i) => tfjsSmall.run(small[i], DEFAULT_DETECTOR_SIZE, ['tower_0/keypoints', 'tower_0/wh']), ms: [], cpu: [] });
  const tfjs = await loadTfjsDetector(join(modelsDir, 'detector/centernet.json'));
  const nhwc = at512.map((im) => pixelsNhwc(im.tensor, 512));
  runners.push({ label: 'tfjs-wasm CenterNet 512 (original graph)', run: async (i) => tfjs.run(nhwc[i], 512, ['tower_0/detections']), ms: [], cpu: [] });
  for (const r of runners) await r.run(0); // warm-up
  for (let i = 0; i < n; i++) {
    for (const r of runners) {
      const t = performance.now();
      const c = process.cpuUsage();
      await r.run(i);
      const { user, system } = process.cpuUsage(c);
      r.ms.push(performance.now() - t);
      r.cpu.push((user + system) / 1e3);
    }
  }
  const tf = median(runners[runners.length - 1].ms);
  const mem = new Map(sizes.map((s) => {
    // The server's allocator setting (npm start), so freed activations go back to the system as there.
    const env = { ...process.env, MALLOC_MMAP_THRESHOLD_: '131072' };
    const out = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', '--size', String(s), '--models-dir', modelsDir, '--n', String(n)], { encoding: 'utf8', env });
    return [s, JSON.parse(out.trim().split('\n').pop()!) as { loaded: number; peak: number }];
  }));
  console.log(`${n} images, each runtime in turn, 1 thread (load average ${(await import('node:os')).loadavg()[0].toFixed(1)})`);
  console.log('| runtime | wall ms/image (median) | min | CPU ms/image (median) | vs tfjs-wasm (wall) | RSS added after load, MB | peak RSS added, MB |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of runners) {
    const m = median(r.ms);
    const s = Number(/CenterNet (\d+) \(from/.exec(r.label)?.[1]);
    const mm = mem.get(s);
    console.log(`| ${r.label} | ${m.toFixed(1)} | ${Math.min(...r.ms).toFixed(1)} | ${median(r.cpu).toFixed(1)} | ${(tf / m).toFixed(2)}× | ${mm ? mm.loaded.toFixed(0) : ''} | ${mm ? mm.peak.toFixed(0) : ''} |`);
  }
}

if (options.child) await memory(Number(options.size));
else await timing();
