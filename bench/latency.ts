// Latency and throughput of the real service (`npm start`'s src/main.ts in a child process, default
// settings) with the tfjs-wasm and the ONNX Runtime decoder, side by side in one run.
//
//   npm run bench:latency
//   N=10 DURATION=5 npm run bench:latency     # quick check
//
// Both servers start, warm up, then each measurement runs for one runtime right after the other
// (the machine's load drifts): per-image end-to-end latency (one client, one image per request,
// maps included; the servers take turns request by request) at beam 1, 3 and 5; images/s with 1, 4, 8 and 16 closed-loop clients at beam 3;
// RSS of each server process (main thread + workers) sampled throughout.
// Images: COCO photos from SHARED_DIR/data/coco-mini-train (never seen: the models trained on
// Flickr8k), else generated ones.
// Env: N (requests per beam size, 30), DURATION (s per concurrency level, 10), LEVELS (1,4,8,16),
// BEAMS (1,3,5), RUNTIMES (tfjs,ort), SHARED_DIR (../shared), MODELS_DIR (models), and any server
// variable (MAX_CONCURRENT, MAX_BATCH, ...) is passed on to both servers.
// COMPARE_MODELS=dirA,dirB: one server per models folder (each with the encoder and soft/ hard/),
// e.g. the 7×7 models against the 14×14 ones at the same runtime: RUNTIMES=ort COMPARE_MODELS=a,b.
// COMPARE_CHECKOUTS=dirA,dirB: one server per source checkout (each runs its own src/main.ts with
// the same models), e.g. a change against main: RUNTIMES=ort COMPARE_CHECKOUTS=../main,.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { envNumber } from './env.ts';
import { benchModels } from './load.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const N = envNumber('N', 30, { integer: true });
const DURATION = envNumber('DURATION', 10);
const LEVELS = (process.env.LEVELS ?? '1,4,8,16').split(',').map(Number);
const BEAMS = (process.env.BEAMS ?? '1,3,5').split(',').map(Number);
const RUNTIMES = (process.env.RUNTIMES ?? 'tfjs,ort').split(',') as ('tfjs' | 'ort')[];
const SHARED = resolve(process.env.SHARED_DIR ?? join(ROOT, '../shared'));

/** Photos the shipped models never saw: COCO images (the models trained on Flickr8k only). */
async function heldOutImages(count: number): Promise<{ name: string; data: Buffer }[]> {
  const dir = join(SHARED, 'data/coco-mini-train/train2017');
  const names = existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.jpg')).sort().slice(0, count) : [];
  if (names.length) return names.map((name) => ({ name, data: readFileSync(join(dir, name)) }));
  const { sceneImage } = await import('../test/helpers/scenes.ts');
  return Promise.all(Array.from({ length: count }, async (_, i) => ({ name: `scene-${i}.jpg`, data: await sceneImage(1000 + i) })));
}

function multipart(image: Buffer, fields: Record<string, string>): { body: Buffer; type: string } {
  const b = `----bench${Math.random().toString(16).slice(2)}`;
  const parts: Buffer[] = Object.entries(fields).map(([k, v]) => Buffer.from(`--${b}\r\ncontent-disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  parts.push(Buffer.from(`--${b}\r\ncontent-disposition: form-data; name="image"; filename="x.jpg"\r\ncontent-type: image/jpeg\r\n\r\n`), image, Buffer.from(`\r\n--${b}--\r\n`));
  return { body: Buffer.concat(parts), type: `multipart/form-data; boundary=${b}` };
}

interface Server {
  child: ChildProcess;
  url: string;
  rssMax: number;
  stop: () => Promise<void>;
}

function rssMB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function startServer(runtime: string, modelsDir: string, root = ROOT): Promise<Server> {
  // As `npm start` runs it (its glibc setting included, see docs/architecture.md "Memory").
  const env = { MALLOC_MMAP_THRESHOLD_: '131072', ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ALLOW_DOWNLOAD: 'false', MODELS_DIR: modelsDir, DECODER_RUNTIME: runtime };
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const url = await new Promise<string>((res, rej) => {
    let listening = '';
    child.stdout!.on('data', (c) => {
      out += c;
      listening ||= /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1] ?? '';
      if (listening && /model loaded, ready/.test(out)) res(listening);
    });
    child.stderr!.on('data', (c) => { out += c; });
    child.on('exit', (code) => rej(new Error(`server (${runtime}) exited with ${code}:\n${out.slice(-2000)}`)));
  });
  const s: Server = { child, url, rssMax: 0, stop: async () => {} };
  const timer = setInterval(() => { try { s.rssMax = Math.max(s.rssMax, rssMB(child.pid!)); } catch { /* exited */ } }, 200);
  s.stop = async () => {
    clearInterval(timer);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  };
  return s;
}

function post(url: string, form: { body: Buffer; type: string }, agent: http.Agent): Promise<{ ms: number; decodeMs: number; batch: number }> {
  const t0 = performance.now();
  return new Promise((res, rej) => {
    const req = http.request(`${url}/v1/captions`, { method: 'POST', agent, headers: { 'content-type': form.type, 'content-length': form.body.length } }, (r) => {
      let text = '';
      r.setEncoding('utf8');
      r.on('data', (c) => { text += c; });
      r.on('end', () => {
        if (r.statusCode !== 200) return rej(new Error(`HTTP ${r.statusCode}: ${text.slice(0, 300)}`));
        const { results } = JSON.parse(text);
        res({ ms: performance.now() - t0, decodeMs: results[0].timings.decodeMs, batch: results[0].timings.batchImages });
      });
    });
    req.on('error', rej);
    req.end(form.body);
  });
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

/** One server to measure: a decoder runtime with a models folder, from a source checkout. */
interface Variant {
  runtime: 'tfjs' | 'ort';
  modelsDir: string;
  root: string;
  label: string;
}

interface RuntimeResult {
  label: string;
  latency: Map<number, { p50: number; p95: number; decodeP50: number }>;
  throughput: Map<number, { ips: number; meanMs: number; meanBatch: number }>;
  rssIdle: number;
  rssMax: number;
}

/**
 * One client's latency on every server, request by request in turn (each image goes to each
 * server, in alternating order): the machine's drift and the order then cost them all alike.
 */
async function latencyAt(servers: Server[], beam: number, images: { data: Buffer }[], agents: http.Agent[]) {
  const ms: number[][] = servers.map(() => []), dec: number[][] = servers.map(() => []);
  for (let i = 0; i < N; i++) {
    const form = multipart(images[i % images.length].data, { beamSize: String(beam), nBest: String(Math.min(3, beam)) });
    const order = servers.map((_, k) => k);
    if (i % 2) order.reverse();
    for (const k of order) {
      const r = await post(servers[k].url, form, agents[k]);
      ms[k].push(r.ms);
      dec[k].push(r.decodeMs);
    }
  }
  return servers.map((_, k) => ({ p50: pct(ms[k], 50), p95: pct(ms[k], 95), decodeP50: pct(dec[k], 50) }));
}

async function throughputAt(server: Server, clients: number, forms: { body: Buffer; type: string }[]) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const until = performance.now() + DURATION * 1000;
  const lat: number[] = [], batch: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: clients }, async () => {
    while (performance.now() < until) {
      const r = await post(server.url, forms[next++ % forms.length], agent);
      lat.push(r.ms);
      batch.push(r.batch);
    }
  }));
  agent.destroy();
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return { ips: lat.length / ((performance.now() - t0) / 1000), meanMs: mean(lat), meanBatch: mean(batch) };
}

/**
 * Both servers run at once (an idle one costs no CPU) and every measurement is taken for one
 * runtime right after the other: the machine's load (a training job) drifts, and this way both
 * see the same conditions, so their ratio means something even when the absolute numbers do not.
 */
async function measureAll(variants: Variant[], images: { data: Buffer }[]): Promise<RuntimeResult[]> {
  const servers: Server[] = [];
  const names = variants.map((v) => v.label);
  try {
    for (const v of variants) servers.push(await startServer(v.runtime, v.modelsDir, v.root));
    const results: RuntimeResult[] = servers.map((s, i) => ({ label: names[i], latency: new Map(), throughput: new Map(), rssIdle: rssMB(s.child.pid!), rssMax: 0 }));
    const agents = servers.map(() => new http.Agent({ keepAlive: true, maxSockets: 1 }));
    for (const [i, s] of servers.entries()) for (let k = 0; k < 5; k++) for (const b of BEAMS) await post(s.url, multipart(images[k % images.length].data, { beamSize: String(b) }), agents[i]); // warm-up
    for (const b of BEAMS) {
      for (const [i, row] of (await latencyAt(servers, b, images, agents)).entries()) {
        results[i].latency.set(b, row);
        process.stderr.write(`  ${names[i]} beam ${b}: p50 ${row.p50.toFixed(1)} ms, p95 ${row.p95.toFixed(1)} ms (decoder p50 ${row.decodeP50.toFixed(1)} ms)\n`);
      }
    }
    agents.forEach((a) => a.destroy());
    const forms = images.map((im) => multipart(im.data, { beamSize: '3' }));
    for (const c of LEVELS) {
      for (const [i, s] of servers.entries()) {
        const row = await throughputAt(s, c, forms);
        results[i].throughput.set(c, row);
        process.stderr.write(`  ${names[i]} ${c} clients: ${row.ips.toFixed(2)} images/s, mean ${row.meanMs.toFixed(0)} ms, mean batch ${row.meanBatch.toFixed(2)}\n`);
      }
    }
    servers.forEach((s, i) => { results[i].rssMax = s.rssMax; });
    return results;
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

const models = benchModels();
try {
  const images = await heldOutImages(Math.max(N, 20));
  process.stderr.write(`${images.length} images (${images[0].name} …); N=${N} per beam size, ${DURATION} s per concurrency level\n`);
  const dirs = process.env.COMPARE_MODELS ? process.env.COMPARE_MODELS.split(',').map((d) => resolve(d)) : [models.dir];
  const roots = process.env.COMPARE_CHECKOUTS ? process.env.COMPARE_CHECKOUTS.split(',').map((d) => resolve(d)) : [ROOT];
  const variants: Variant[] = roots.flatMap((root) => dirs.flatMap((modelsDir) => RUNTIMES.map((runtime) => ({
    runtime, modelsDir, root,
    label: `${runtime === 'tfjs' ? 'tfjs-wasm' : 'ort'}${dirs.length > 1 ? ` ${basename(modelsDir)}` : ''}${roots.length > 1 ? ` ${basename(root)}` : ''}`,
  }))));
  const results = await measureAll(variants, images);
  const head = results.map((r) => r.label);
  const both = results.length === 2;
  const rows: string[][] = [];
  const row = (label: string, values: number[], digits: number, better: 'lower' | 'higher') => {
    const ratio = both ? (better === 'lower' ? values[0] / values[1] : values[1] / values[0]) : NaN;
    rows.push([label, ...values.map((v) => v.toFixed(digits)), ...(both ? [`${ratio.toFixed(2)}×`] : [])]);
  };
  for (const b of BEAMS) {
    row(`beam ${b}: p50 ms per image (end to end)`, results.map((r) => r.latency.get(b)!.p50), 1, 'lower');
    row(`beam ${b}: p95 ms per image`, results.map((r) => r.latency.get(b)!.p95), 1, 'lower');
    row(`beam ${b}: decoder p50 ms (timings.decodeMs)`, results.map((r) => r.latency.get(b)!.decodeP50), 1, 'lower');
  }
  for (const c of LEVELS) {
    row(`${c} client${c > 1 ? 's' : ''}: images/s (beam 3)`, results.map((r) => r.throughput.get(c)!.ips), 2, 'higher');
    row(`${c} client${c > 1 ? 's' : ''}: mean latency ms`, results.map((r) => r.throughput.get(c)!.meanMs), 0, 'lower');
  }
  row('RSS MB after start', results.map((r) => r.rssIdle), 0, 'lower');
  row('RSS MB max while serving', results.map((r) => r.rssMax), 0, 'lower');
  const header = ['', ...head, ...(both ? [`${head[1]} vs ${head[0]}`] : [])];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ')} |`;
  process.stdout.write([line(header), `|${widths.map((w, i) => (i ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|')}|`, ...rows.map(line)].join('\n') + '\n');
} finally {
  models.cleanup();
}
