#!/usr/bin/env node
// Launcher for the `show-attend-tell` command: runs src/cli.ts under tsx's ESM loader in a
// child Node process, forwarding arguments, stdio, signals and the exit status.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const loader = import.meta.resolve('tsx'); // tsx's loader (dist/loader.mjs), resolved from this package
const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

const child = spawn(process.execPath, [...process.execArgv, '--import', loader, cli, ...process.argv.slice(2)], { stdio: 'inherit' });

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];
const relay = (signal) => {
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
};
for (const signal of SIGNALS) process.on(signal, relay);

child.on('error', (err) => {
  console.error(`show-attend-tell: cannot start ${process.execPath}: ${err.message}`);
  process.exit(1);
});
child.on('exit', (code, signal) => {
  for (const s of SIGNALS) process.off(s, relay);
  if (signal) process.kill(process.pid, signal); // die the same way, so shells see 128+n
  else process.exit(code ?? 1);
});
