// src/main.ts as a real process: start-up failures exit 1 clearly; SIGTERM drains then exits 0.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { imageForm, jpeg, makeModelsDir, skipWithoutModel, WORDY } from '../helpers/server.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function start(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env: { ...process.env, HOST: '127.0.0.1', PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => { out += c; });
  child.stderr.on('data', (c) => { err += c; });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const waitFor = async (re: RegExp, ms = 60_000) => {
    const t0 = Date.now();
    while (!re.test(out)) {
      if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${re}; stdout: ${out.slice(-2000)} stderr: ${err.slice(-2000)}`);
      if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return out.match(re)!;
  };
  return { child, exited, waitFor, output: () => ({ out, err }) };
}

t.test('bad environment: exit 1 naming the variable', async (t) => {
  const p = start({ PORT: 'http', MAX_QUEUE: '-3' });
  t.equal(await p.exited, 1);
  t.match(p.output().err, /PORT="http"/);
  t.match(p.output().err, /MAX_QUEUE="-3"/);
});

t.test('missing encoder file: exit 1 with the provisioning error', async (t) => {
  const empty = mkdtempSync(join(tmpdir(), 'sat-empty-'));
  t.teardown(() => rmSync(empty, { recursive: true, force: true }));
  const p = start({ MODELS_DIR: empty, ALLOW_DOWNLOAD: 'false' });
  t.equal(await p.exited, 1);
  t.match(p.output().err, /encoder model is not available/);
  t.match(p.output().err, /mobilenetv2-12-int8\.onnx/);
});

t.test('SIGTERM: in-flight request completes, then exit 0', { skip: skipWithoutModel }, async (t) => {
  const models = makeModelsDir();
  t.teardown(models.cleanup);
  const p = start({ MODELS_DIR: models.dir, ALLOW_DOWNLOAD: 'false', LOG_LEVEL: 'info' });
  t.teardown(() => p.child.kill('SIGKILL'));
  const [, url] = await p.waitFor(/Server listening at (http:\/\/127\.0\.0\.1:\d+)/);
  await p.waitFor(/model loaded, ready/);
  t.match(p.output().out, /decoder runtime: ort/, 'logs the decoder runtime (ort by default on CPU)');
  const form = await imageForm([await jpeg(1024, 768)], { ...WORDY, panelSize: '512' });
  const inFlight = fetch(`${url}/v1/overlays`, { method: 'POST', body: new Uint8Array(form.payload), headers: form.headers });
  await p.waitFor(/"url":"\/v1\/overlays"/); // the server has the request
  p.child.kill('SIGTERM');
  const res = await inFlight;
  t.equal(res.status, 200, 'in-flight request finished');
  t.equal(res.headers.get('content-type'), 'image/png');
  t.equal(await p.exited, 0);
  t.match(p.output().out, /SIGTERM/);
  t.match(p.output().out, /"msg":"stopped"/);
});
