// A real redis-server for a test file: free port, temp dir, no persistence, stopped at teardown.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { makeModelsDir } from './server.ts';

export const REDIS_BIN = process.env.REDIS_SERVER ?? 'redis-server';

/** Why the Redis tests cannot run here, or false when they can. */
export function skipWithoutRedis(): string | false {
  const r = spawnSync(REDIS_BIN, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? false : `${REDIS_BIN} not found (apt-get install -y redis-server, or set REDIS_SERVER): skipping the Redis job tests`;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface RedisServer {
  url: string;
  proc: ChildProcess;
  stop: () => Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sat-redis-'));
  const proc = spawn(REDIS_BIN, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'], { stdio: ['ignore', 'pipe', 'pipe'] });
  // Even when the test process dies without its teardown, no server is left behind.
  const reap = () => { if (proc.exitCode === null) proc.kill('SIGKILL'); };
  process.once('exit', reap);
  let out = '';
  proc.stdout!.on('data', (c) => { out += c; });
  proc.stderr!.on('data', (c) => { out += c; });
  await new Promise<void>((resolve, reject) => {
    const check = setInterval(() => {
      if (/Ready to accept connections/.test(out)) { clearInterval(check); resolve(); }
    }, 25);
    proc.on('exit', (code) => { clearInterval(check); reject(new Error(`redis-server exited (${code}): ${out}`)); });
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    proc,
    stop: async () => {
      process.off('exit', reap);
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await new Promise((r) => proc.once('exit', r));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A test's Redis server, a client on it and a models folder, all removed when the test ends. */
export async function jobsFixture(t: { teardown: (fn: () => unknown) => void }) {
  const redisServer = await startRedis();
  t.teardown(() => redisServer.stop());
  const redis = new Redis(redisServer.url);
  t.teardown(() => redis.disconnect());
  const models = makeModelsDir();
  t.teardown(models.cleanup);
  return { redisServer, redis, models };
}
