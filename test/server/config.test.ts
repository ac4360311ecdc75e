import t from 'tap';
import { ConfigError, loadConfig } from '../../src/server/config.ts';
import { cpuCount } from '../../src/runtime/threads.ts';

t.test('defaults', async (t) => {
  const c = loadConfig({});
  t.match(c, { port: 3000, host: '0.0.0.0', modelsDir: './models', allowDownload: true, maxFileBytes: 25 * 1024 * 1024, maxFiles: 8, maxPixels: 40_000_000, maxConcurrent: Math.min(16, cpuCount()), maxQueue: 16, requestTimeoutMs: 60_000, logLevel: 'info' });
});

t.test('coerces strings; empty values count as unset; unrelated variables ignored', async (t) => {
  const c = loadConfig({ PORT: '8080', ALLOW_DOWNLOAD: 'false', MAX_QUEUE: '0', MAX_CONCURRENT: '2', HOST: '', PATH: '/bin' });
  t.equal(c.port, 8080);
  t.equal(c.allowDownload, false);
  t.equal(c.maxQueue, 0);
  t.equal(c.maxConcurrent, 2);
  t.equal(c.host, '0.0.0.0');
});

t.test('bad values: one error naming every bad variable and its value', async (t) => {
  const err = t.throws(() => loadConfig({ PORT: 'eighty', MAX_CONCURRENT: '0', LOG_LEVEL: 'loud', ALLOW_DOWNLOAD: 'maybe' })) as Error;
  t.ok(err instanceof ConfigError);
  for (const s of ['PORT="eighty"', 'MAX_CONCURRENT="0"', 'LOG_LEVEL="loud"', 'ALLOW_DOWNLOAD="maybe"']) t.match(err.message, s);
});

t.test('decoder runtime, threads and batching: defaults from the machine, overridable, validated', async (t) => {
  const d = loadConfig({});
  t.equal(d.decoderRuntime, 'auto');
  t.equal(d.ortThreads, Math.max(1, Math.floor(cpuCount() / d.maxConcurrent)), 'workers × ORT threads ≤ cores');
  t.match(d, { maxBatch: 8, batchWindowMs: 2 });
  const c = loadConfig({ DECODER_RUNTIME: 'tfjs', MAX_CONCURRENT: '1', MAX_BATCH: '4', BATCH_WINDOW_MS: '0' });
  t.match(c, { decoderRuntime: 'tfjs', maxConcurrent: 1, ortThreads: cpuCount(), maxBatch: 4, batchWindowMs: 0 });
  t.equal(loadConfig({ ORT_THREADS: '3', MAX_CONCURRENT: '4' }).ortThreads, 3);
  const err = t.throws(() => loadConfig({ DECODER_RUNTIME: 'gpu', MAX_BATCH: '0' })) as Error;
  for (const s of ['DECODER_RUNTIME="gpu"', 'MAX_BATCH="0"']) t.match(err.message, s);
});
