// Training throughput (captions/s) of the real training step: N gradient workers over shared
// memory, shard by caption, sum the shard gradients, clip the global norm, one Adam update —
// exactly what src/train/trainer.ts does per step, on random float16 features and tokens.
//
//   npm run bench:train                      # WORKERS=1,2 BATCH=64 T=13 V=2541 STEPS=20
//   WORKERS=2 BATCH=32 STEPS=10 ATT=hard npm run bench:train
//
// Env: WORKERS (comma list), BATCH, T (tokens after <start>, incl. <end>), V (vocabulary),
// STEPS (timed steps), WARMUP (untimed steps, 3), HIDDEN (512; also embed/attention dims),
// ROWS (distinct feature rows, 256), ATT (soft|hard), BACKEND (tfjs backend of the workers).
import { availableParallelism } from 'node:os';
import { defaultConfig } from '../src/model/config.ts';
import { initParams, paramLayout } from '../src/model/params.ts';
import { START_ID, END_ID } from '../src/data/vocab.ts';
import { encodeHalf } from '../src/util/float16.ts';
import { Adam, clipGlobalNorm } from '../src/train/adam.ts';
import { GradWorker } from '../src/train/workers.ts';
import type { GradStats } from '../src/train/bptt.ts';
import { deriveSeed, mulberry32 } from '../src/util/rng.ts';
import { envNumber } from './env.ts';

const env = (k: string, d: number) => envNumber(k, d);
const WORKERS = (process.env.WORKERS ?? '1,2').split(',').map((s) => Number(s.trim()));
if (WORKERS.some((w) => !Number.isInteger(w) || w < 1)) throw new Error(`WORKERS=${process.env.WORKERS} must be a comma list of positive integers`);
const B = env('BATCH', 64), T = env('T', 13), V = env('V', 2541), STEPS = env('STEPS', 20), WARMUP = Number(process.env.WARMUP ?? 3);
const HIDDEN = env('HIDDEN', 512), ROWS = env('ROWS', 256);
const ATT = (process.env.ATT ?? 'soft') as 'soft' | 'hard';
if (ATT !== 'soft' && ATT !== 'hard') throw new Error(`ATT=${ATT} must be soft or hard`);
const BACKEND = process.env.BACKEND ?? process.env.TFJS_BACKEND;
// Training defaults (src/train/options.ts).
const LR = 4e-4, DROPOUT = 0.5, LAMBDA = 1, CLIP = 5, REINFORCE = 1, ENTROPY = 0.002, SEED = 1;

const config = defaultConfig({
  attention: ATT, vocabSize: V, embedDim: HIDDEN, hiddenDim: HIDDEN, attentionDim: HIDDEN, featureDim: 1280, grid: { h: 7, w: 7 },
  dropout: DROPOUT, maxLength: 20, encoder: { id: 'bench', sha256: 'bench', inputSize: 224 }, trained: false,
});
const L = config.grid.h * config.grid.w;
const rowSize = L * config.featureDim;
const { total } = paramLayout(config);

// Random float16 "cache": non-negative like MobileNetV2's ReLU6 features.
const rng = mulberry32(SEED);
const features = new SharedArrayBuffer(ROWS * rowSize * 2);
{
  const half = new Uint16Array(features);
  const tmp = new Float32Array(rowSize);
  for (let r = 0; r < ROWS; r++) {
    for (let i = 0; i < rowSize; i++) tmp[i] = rng() * 6 * (rng() < 0.4 ? 1 : 0);
    encodeHalf(tmp, half.subarray(r * rowSize, (r + 1) * rowSize));
  }
}
/** Caption `<start> w1..w(T-1) <end>`: T + 1 ids, as vocab.encode gives for a T-1 word caption. */
const randomCaption = (r: () => number) => {
  const t = new Int32Array(T + 1);
  t[0] = START_ID;
  for (let i = 1; i < T; i++) t[i] = 4 + Math.floor(r() * (V - 4));
  t[T] = END_ID;
  return t;
};

interface Result { workers: number; msStep: number; msGrad: number; msUpdate: number; captionsPerSec: number; backend: string }

async function bench(nWorkers: number): Promise<Result> {
  const paramsShared = new SharedArrayBuffer(total * 4);
  const params = new Float32Array(paramsShared);
  initParams(config, mulberry32(deriveSeed(SEED, 0xbeef)), params);
  const adam = new Adam(total, { lr: LR, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
  const workers: GradWorker[] = [];
  const grads: Float32Array[] = [];
  try {
    for (let w = 0; w < nWorkers; w++) {
      const g = new SharedArrayBuffer(total * 4);
      grads.push(new Float32Array(g));
      workers.push(await GradWorker.start({ config, params: paramsShared, grad: g, features, backend: BACKEND }));
    }
    const grad = new Float32Array(total);
    let baseline: number | null = null;
    const times: { step: number; grad: number; update: number }[] = [];
    const dataRng = mulberry32(deriveSeed(SEED, nWorkers));
    for (let step = 0; step < WARMUP + STEPS; step++) {
      // One batch: B captions over random rows (the trainer groups captions of equal length).
      const rows = Int32Array.from({ length: B }, () => Math.floor(dataRng() * ROWS));
      const captions = Array.from({ length: B }, () => randomCaption(dataRng));
      const t0 = performance.now();
      // ---- as in trainer.ts ----
      const stepRng = mulberry32(deriveSeed(SEED, step, 0x5a));
      const hard = ATT === 'hard';
      const base = {
        sampled: hard && stepRng() < 0.5,
        dropout: DROPOUT,
        tokenScale: 1 / (B * T),
        regScale: LAMBDA / (B * L),
        reinforce: hard ? { weight: REINFORCE, entropy: ENTROPY, baseline: baseline ?? 0 } : undefined,
      };
      const ids = Array.from({ length: B }, (_, i) => i);
      const shards = workers.map((_, w) => ids.slice(Math.floor((w * B) / workers.length), Math.floor(((w + 1) * B) / workers.length)));
      const stats = await Promise.all(
        shards.map((shard, w): Promise<GradStats> | undefined => {
          if (!shard.length) return undefined;
          const tokens = new Int32Array(shard.length * (T + 1));
          shard.forEach((id, k) => tokens.set(captions[id], k * (T + 1)));
          return workers[w].step({ rows: Int32Array.from(shard, (id) => rows[id]), tokens, B: shard.length, T, opts: { ...base, seed: deriveSeed(SEED, step, w + 1) } });
        }),
      );
      const t1 = performance.now();
      grad.fill(0);
      shards.forEach((s, w) => {
        if (!s.length) return;
        const g = grads[w];
        for (let i = 0; i < total; i++) grad[i] += g[i];
      });
      clipGlobalNorm(grad, CLIP);
      adam.step(params, grad);
      const st = stats.filter((s): s is GradStats => s !== undefined);
      const rewardMean = st.reduce((s, x) => s + x.rewardSum, 0) / B;
      if (hard && base.sampled) baseline = baseline === null ? rewardMean : 0.9 * baseline + 0.1 * rewardMean;
      const t2 = performance.now();
      // ---- end of step ----
      if (step >= WARMUP) times.push({ step: t2 - t0, grad: t1 - t0, update: t2 - t1 });
      process.stderr.write(`\r  workers ${nWorkers}: step ${step + 1}/${WARMUP + STEPS}${step < WARMUP ? ' (warm-up)' : ''} ${(t2 - t0).toFixed(0)} ms\x1b[K`);
    }
    process.stderr.write('\n');
    const msStep = median(times.map((t) => t.step));
    return { workers: nWorkers, msStep, msGrad: median(times.map((t) => t.grad)), msUpdate: median(times.map((t) => t.update)), captionsPerSec: (B * 1000) / msStep, backend: workers[0].backend };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

console.log(
  `bench:train  ${ATT} attention, hidden ${HIDDEN}, vocabulary ${V}, features ${config.grid.h}x${config.grid.w}x${config.featureDim} float16, ` +
    `${(total / 1e6).toFixed(2)}M parameters, ${availableParallelism()} cores, median of ${STEPS} steps after ${WARMUP} warm-up`,
);
const results: Result[] = [];
for (const w of WORKERS) results.push(await bench(w));
const header = ['workers', 'batch', 'T', 'ms/step', 'grad ms', 'update ms', 'captions/s', 'backend'];
const rowsOut = results.map((r) => [r.workers, B, T, r.msStep.toFixed(0), r.msGrad.toFixed(0), r.msUpdate.toFixed(0), r.captionsPerSec.toFixed(1), r.backend].map(String));
const widths = header.map((h, i) => Math.max(h.length, ...rowsOut.map((r) => r[i].length)));
const fmt = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
console.log(fmt(header));
for (const r of rowsOut) console.log(fmt(r));
console.log('(grad ms: workers in parallel; update ms: gradient sum + clip + Adam on the coordinator)');
