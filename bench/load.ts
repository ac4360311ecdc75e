// HTTP load test of the real server: createApp + WorkerCaptioner (inference in worker threads)
// on an ephemeral port, driven by autocannon with a real multipart JPEG upload.
//
//   npm run bench:load                                  # 20 s at 1, 4, 16 connections, then 60 s overload
//   DURATION=5 OVERLOAD_DURATION=10 npm run bench:load  # quick check
//   DECODER_DIR=runs/soft/best npm run bench:load       # serve that decoder as soft/
//
// Env: DURATION (s per level, 20), OVERLOAD_DURATION (s, 60), LEVELS (comma list, 1,4,16),
// MAX_CONCURRENT (workers, one per core), MAX_QUEUE (16), MODELS_DIR (models), DECODER_DIR (a saved
// decoder to serve as soft/), SHARED_DIR (where models/mobilenetv2-12-int8.onnx is, when
// MODELS_DIR lacks it), IMAGE (WxH of the JPEG, 320x240), OPTIONS (query string, beamSize=3).
// The overload level uses 2 × capacity connections (capacity = MAX_CONCURRENT × MAX_BATCH + MAX_QUEUE).
// Passes when every response is 2xx or 503 (busy/timeout), there are no socket errors or client
// timeouts, and the server still answers /healthz and a caption afterwards; exits 1 otherwise.
import autocannon from 'autocannon';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { createApp } from '../src/server/app.ts';
import { loadConfig, poolOptions } from '../src/server/config.ts';
import { WorkerCaptioner } from '../src/engine/pool.ts';
import { envNumber } from './env.ts';

const num = (k: string, d: number) => envNumber(k, d);
const DURATION = num('DURATION', 20);
const OVERLOAD_DURATION = num('OVERLOAD_DURATION', 60);
const LEVELS = (process.env.LEVELS ?? '1,4,16').split(',').map(Number);
const [W, H] = (process.env.IMAGE ?? '320x240').split('x').map(Number);
const OPTIONS = process.env.OPTIONS ?? 'beamSize=3';

/**
 * A models dir with the encoder and the decoder(s) to serve. MODELS_DIR is used as is when it
 * holds the encoder; otherwise a temp dir links the encoder from SHARED_DIR and the decoders.
 */
export function benchModels(): { dir: string; cleanup: () => void } {
  const models = resolve(process.env.MODELS_DIR ?? 'models');
  const onnx = 'mobilenetv2-12-int8.onnx';
  const decoder = process.env.DECODER_DIR ? resolve(process.env.DECODER_DIR) : undefined;
  if (existsSync(join(models, onnx)) && !decoder) return { dir: models, cleanup: () => {} };
  const shared = resolve(process.env.SHARED_DIR ?? '../shared', 'models', onnx);
  const encoder = existsSync(join(models, onnx)) ? join(models, onnx) : shared;
  if (!existsSync(encoder)) throw new Error(`no encoder: neither ${join(models, onnx)} nor ${shared} exists`);
  const dir = mkdtempSync(join(tmpdir(), 'sat-bench-'));
  symlinkSync(encoder, join(dir, onnx));
  if (decoder) symlinkSync(decoder, join(dir, 'soft'));
  for (const kind of ['soft', 'hard']) {
    if (kind === 'soft' && decoder) continue;
    if (existsSync(join(models, kind, 'config.json'))) symlinkSync(join(models, kind), join(dir, kind));
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

interface Row {
  connections: number;
  seconds: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  ok: number;
  busy: number;
  otherNon2xx: number;
  errors: number;
  timeouts: number;
}

async function level(url: string, body: Buffer, contentType: string, connections: number, seconds: number): Promise<Row> {
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  let done!: (r: autocannon.Result) => void;
  let fail!: (e: Error) => void;
  const finished = new Promise<autocannon.Result>((res, rej) => { done = res; fail = rej; });
  const instance = autocannon({
    url: `${url}/v1/captions?${OPTIONS}`,
    method: 'POST',
    body,
    headers: { 'content-type': contentType },
    connections,
    duration: seconds,
    timeout: 120, // seconds: longer than REQUEST_TIMEOUT_MS, so the server's own deadline (503) shows
  }, (err, res) => (err ? fail(err) : done(res)));
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1);
    if (statusCode === 200) latencies.push(responseTime);
  });
  const result = await finished;
  latencies.sort((a, b) => a - b);
  const ok = statuses.get(200) ?? 0;
  const busy = statuses.get(503) ?? 0;
  const total = [...statuses.values()].reduce((a, b) => a + b, 0);
  return {
    connections, seconds, rps: total / seconds, p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99),
    ok, busy, otherNon2xx: total - ok - busy, errors: result.errors, timeouts: result.timeouts,
  };
}

function table(rows: Row[]): string {
  const head = ['connections', 'secs', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', '2xx', '503', 'other non-2xx', 'errors', 'timeouts'];
  const cells = rows.map((r) => [r.connections, r.seconds, r.rps.toFixed(2), r.p50.toFixed(0), r.p95.toFixed(0), r.p99.toFixed(0), r.ok, r.busy, r.otherNon2xx, r.errors, r.timeouts].map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => `| ${c.map((x, i) => x.padStart(widths[i])).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join('\n');
}

async function main(): Promise<number> {
  const config = loadConfig({ LOG_LEVEL: 'silent', ALLOW_DOWNLOAD: 'false', ...process.env, PORT: '0', HOST: '127.0.0.1' });
  const models = benchModels();
  const captioner = await WorkerCaptioner.start({ ...poolOptions(config), modelsDir: models.dir });
  const info = captioner.info();
  const served = info.decoders.map((d) => `${d.attention}: ${d.trained ? 'trained' : 'UNTRAINED'} ${d.path ?? '(random init: no decoder in MODELS_DIR)'}, vocabulary ${d.vocabularySize}`).join('; ');
  const { app } = createApp({ captioner, config });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

  const jpeg = await sharp({ create: { width: W, height: H, channels: 3, background: { r: 90, g: 140, b: 60 } } })
    .composite([{ input: { create: { width: Math.ceil(W / 2), height: Math.ceil(H / 2), channels: 3, background: { r: 200, g: 40, b: 40 } } }, left: 0, top: 0 }])
    .jpeg().toBuffer();
  const form = new FormData();
  form.append('image', new Blob([new Uint8Array(jpeg)], { type: 'image/jpeg' }), 'bench.jpg');
  const req = new Request(url, { method: 'POST', body: form });
  const body = Buffer.from(await req.arrayBuffer());
  const contentType = req.headers.get('content-type')!;

  const capacity = config.maxConcurrent * config.maxBatch + config.maxQueue;
  console.log(`bench:load: ${url}; workers (MAX_CONCURRENT) ${config.maxConcurrent} × MAX_BATCH ${config.maxBatch}, MAX_QUEUE ${config.maxQueue}, capacity ${capacity}; runtime ${info.runtime}, backend ${info.backend}`);
  console.log(`decoder: ${served}`);
  console.log(`request: POST /v1/captions?${OPTIONS} with a ${W}×${H} JPEG (${jpeg.length} bytes, multipart ${body.length} bytes)`);

  // Warm-up (first inference allocates), not measured.
  await fetch(`${url}/v1/captions?${OPTIONS}`, { method: 'POST', body: new Uint8Array(body), headers: { 'content-type': contentType } });

  const rows: Row[] = [];
  for (const c of LEVELS) {
    process.stdout.write(`  ${c} connection(s) for ${DURATION} s ...\n`);
    rows.push(await level(url, body, contentType, c, DURATION));
  }
  const over = 2 * capacity;
  process.stdout.write(`  overload: ${over} connections (2 × capacity) for ${OVERLOAD_DURATION} s ...\n`);
  rows.push(await level(url, body, contentType, over, OVERLOAD_DURATION));
  console.log(`\n${table(rows)}\n(latency percentiles over 200 responses only)`);

  const problems: string[] = [];
  for (const r of rows) {
    if (r.otherNon2xx) problems.push(`${r.connections} connections: ${r.otherNon2xx} responses other than 200/503`);
    if (r.errors || r.timeouts) problems.push(`${r.connections} connections: ${r.errors} socket errors, ${r.timeouts} client timeouts`);
    if (!r.ok) problems.push(`${r.connections} connections: nothing served`);
  }
  // Requests still queued when the load stopped drain first (their clients are gone).
  const t0 = Date.now();
  while (Date.now() - t0 < 60_000) {
    const q = (await (await fetch(`${url}/readyz`)).json()) as { queue?: { running: number; waiting: number } };
    if (q.queue && q.queue.running === 0 && q.queue.waiting === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const health = await fetch(`${url}/healthz`);
  const after = await fetch(`${url}/v1/captions?${OPTIONS}`, { method: 'POST', body: new Uint8Array(body), headers: { 'content-type': contentType } });
  if (health.status !== 200) problems.push(`/healthz afterwards: ${health.status}`);
  if (after.status !== 200) problems.push(`caption afterwards: ${after.status}`);
  const stats = captioner.workerStats();
  console.log(`afterwards: /healthz ${health.status}, caption ${after.status}; workers ${stats.map((s) => `#${s.id} ${s.state} jobs ${s.jobs} restarts ${s.restarts} tensors ${s.numTensors}`).join(', ')}`);

  await app.close();
  await captioner.dispose();
  models.cleanup();
  if (problems.length) {
    console.error(`FAIL:\n  ${problems.join('\n  ')}`);
    return 1;
  }
  console.log('PASS: only 2xx and 503, no errors, server healthy afterwards');
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('bench/load.ts')) process.exit(await main());
