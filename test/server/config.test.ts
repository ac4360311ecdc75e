import t from 'tap';
import { ConfigError, loadConfig } from '../../src/server/config.ts';

t.test('defaults', async (t) => {
  const c = loadConfig({});
  t.match(c, { port: 3000, host: '0.0.0.0', modelsDir: './models', allowDownload: true, maxFileBytes: 25 * 1024 * 1024, maxFiles: 8, maxPixels: 40_000_000, maxConcurrent: 1, maxQueue: 16, requestTimeoutMs: 60_000, logLevel: 'info' });
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
