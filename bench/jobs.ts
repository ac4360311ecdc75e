// Batch-job throughput: a redis-server of its own, WORKERS `show-attend-tell worker` processes,
// JOBS one-image jobs enqueued at once; prints jobs/s and queue-to-done latency percentiles.
//
//   npm run bench:jobs                                   # 500 jobs, 2 workers, greedy
//   JOBS=2000 WORKERS=2 CONCURRENCY=1 OPTIONS='beamSize=3' IMAGE=320x240 npm run bench:jobs
//
// Env: JOBS (500), WORKERS (2), CONCURRENCY (inference threads per worker, 1), IMAGE (WxH, 320x240),
// OPTIONS (caption options as a query string, beamSize=1&includeMaps=false), MODELS_DIR (models).
import { resolve } from 'node:path';
import sharp from 'sharp';
import { JobStore } from '../src/jobs/store.ts';
import { CaptionOptionsSchema } from '../src/service/schemas.ts';
import { startRedis } from '../test/helpers/redis.ts';
import { completedJobs, spawnWorker } from '../test/helpers/job-workers.ts';
import { envNumber } from './env.ts';

const JOBS = envNumber('JOBS', 500);
const WORKERS = envNumber('WORKERS', 2);
const CONCURRENCY = envNumber('CONCURRENCY', 1);
const [W, H] = (process.env.IMAGE ?? '320x240').split('x').map(Number);
const options = CaptionOptionsSchema.parse(Object.fromEntries(new URLSearchParams(process.env.OPTIONS ?? 'beamSize=1&includeMaps=false')));

const redis = await startRedis();
const workers = Array.from({ length: WORKERS }, () => spawnWorker(redis.url, resolve(process.env.MODELS_DIR ?? 'models'), ['--concurrency', String(CONCURRENCY)]));
const store = new JobStore({ redisUrl: redis.url, queue: 'captions', ttlSeconds: 3600, attempts: 1 });
try {
  await Promise.all(workers.map((w) => w.ready));
  // Distinct images (a gradient shifted per job), made before the clock starts.
  const images = await Promise.all(Array.from({ length: JOBS }, (_, i) => sharp({ create: { width: W, height: H, channels: 3, background: { r: i & 255, g: (i >> 8) & 255, b: 90 } } }).jpeg().toBuffer()));
  const t0 = performance.now();
  const ids: string[] = [];
  for (const [i, data] of images.entries()) ids.push((await store.enqueue([{ filename: `${i}.jpg`, data }], options, null)).id);
  const enqueueS = (performance.now() - t0) / 1000;
  const jobs = await Promise.all(ids.map(async (id) => { const job = (await store.get(id))!; await store.wait(job).catch(() => {}); return (await store.get(id))!; }));
  const wallS = (performance.now() - t0) / 1000;
  const failed = jobs.filter((j) => j.failedReason).length;
  const lat = jobs.map((j) => (j.finishedOn ?? 0) - j.timestamp).sort((a, b) => a - b);
  const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))];
  const per = workers.map((w) => completedJobs(w.log()).length);
  console.log(`jobs ${JOBS}, workers ${WORKERS} x concurrency ${CONCURRENCY}, image ${W}x${H} JPEG, options ${JSON.stringify(process.env.OPTIONS ?? 'beamSize=1&includeMaps=false')}`);
  console.log('| jobs | failed | enqueue s | wall s | jobs/s | p50 ms | p95 ms | max ms | per worker |');
  console.log('|------|--------|-----------|--------|--------|--------|--------|--------|------------|');
  console.log(`| ${JOBS} | ${failed} | ${enqueueS.toFixed(1)} | ${wallS.toFixed(1)} | ${(JOBS / wallS).toFixed(1)} | ${pct(50)} | ${pct(95)} | ${lat.at(-1)} | ${per.join(' + ')} |`);
  if (failed || per.reduce((a, b) => a + b, 0) !== JOBS) process.exitCode = 1;
} finally {
  await store.close();
  await Promise.all(workers.map((w) => w.stop()));
  await redis.stop();
}
