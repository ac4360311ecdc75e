// `show-attend-tell worker` as a child process of a test (node --import tsx, no wrapper process,
// so a SIGKILL really kills the worker and its inference threads at once).
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface WorkerProcess {
  proc: ChildProcess;
  /** Everything it wrote to stderr so far. */
  log: () => string;
  ready: Promise<void>;
  /** SIGTERM and wait for the exit (graceful: running jobs finish). */
  stop: () => Promise<number | null>;
}

export function spawnWorker(redisUrl: string, modelsDir: string, args: string[] = []): WorkerProcess {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'worker', '--redis', redisUrl, '--models-dir', modelsDir, ...args], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'silent' },
  });
  const reap = () => { if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL'); };
  process.once('exit', reap);
  proc.once('exit', () => process.off('exit', reap));
  let log = '';
  proc.stdout!.on('data', (c) => { log += c; });
  proc.stderr!.on('data', (c) => { log += c; });
  const ready = new Promise<void>((resolve, reject) => {
    const check = setInterval(() => {
      if (/worker: ready: /.test(log)) { clearInterval(check); resolve(); }
    }, 50);
    proc.once("exit", (code, signal) => { clearInterval(check); reject(new Error(`worker exited (${code ?? signal}) before it was ready:\n${log}`)); });
  });
  ready.catch(() => {});
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    proc.kill('SIGTERM');
    return exited;
  };
  return { proc, log: () => log, ready, stop };
}

/** Lines "job <id>: ... (attempt n)" the worker logged for finished jobs. */
export function completedJobs(log: string): string[] {
  return [...log.matchAll(/^worker: job (\S+): \d+ image/gm)].map((m) => m[1]);
}
