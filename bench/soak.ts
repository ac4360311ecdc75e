// Soak test: the real service (src/main.ts in its own process, inference in worker threads)
// answers N caption requests, a couple at a time; every SAMPLE requests the server's RSS and the
// workers' tfjs tensor count / heap are read from /metrics. Prints the table and the drift.
//
//   npm run bench:soak                        # N=5000, CONCURRENCY=2, SAMPLE=500
//   N=500 SAMPLE=100 npm run bench:soak       # quick check
//   DECODER_DIR=runs/soft/best npm run bench:soak
//
// Env: N, CONCURRENCY, SAMPLE, MAX_CONCURRENT (workers), MODELS_DIR / DECODER_DIR / SHARED_DIR
// (as bench:load). Fails (exit 1) on any non-200 response or when the tensor count grows.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { benchModels } from './load.ts';
import { envNumber } from './env.ts';

const num = (k: string, d: number) => envNumber(k, d, { integer: true });
const N = num('N', 5000);
const CONCURRENCY = num('CONCURRENCY', 2);
const SAMPLE = num('SAMPLE', 500);
const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Sample {
  requests: number;
  seconds: number;
  rssMb: number;
  tensors: number;
  tensorMb: number;
  workerHeapMb: number;
  reqPerSec: number;
}

function metric(text: string, name: string): number {
  const m = text.match(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm'));
  if (!m) throw new Error(`metric ${name} not found`);
  return Number(m[1]);
}

async function main(): Promise<number> {
  const models = benchModels();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { MALLOC_MMAP_THRESHOLD_: '131072', ...process.env, HOST: '127.0.0.1', PORT: '0', MODELS_DIR: models.dir, ALLOW_DOWNLOAD: 'false', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (c) => { out += c; if (out.length > 1e6) out = out.slice(-1e5); });
  const stop = () => { if (child.exitCode === null) child.kill('SIGTERM'); };
  process.on('exit', stop);
  const t0 = Date.now();
  let url = '';
  while (!/model loaded, ready/.test(out)) {
    if (child.exitCode !== null) throw new Error(`server exited ${child.exitCode}: ${out.slice(-2000)}`);
    if (Date.now() - t0 > 120_000) throw new Error('server did not become ready in 120 s');
    url ||= out.match(/Server listening at (http:\/\/127\.0\.0\.1:\d+)/)?.[1] ?? '';
    await new Promise((r) => setTimeout(r, 50));
  }
  url ||= out.match(/Server listening at (http:\/\/127\.0\.0\.1:\d+)/)![1];
  child.stdout.removeAllListeners('data');
  child.stdout.resume(); // request logs are not kept
  const info = (await (await fetch(`${url}/v1/models`)).json()) as { decoders: { attention: string; trained: boolean; path: string | null; vocabularySize: number }[] };
  console.log(`bench:soak: server pid ${child.pid} at ${url}; N=${N}, concurrency ${CONCURRENCY}, sample every ${SAMPLE}`);
  console.log(`decoder: ${info.decoders.map((d) => `${d.attention}: ${d.trained ? 'trained' : 'UNTRAINED'} ${d.path ?? '(random init)'}, vocabulary ${d.vocabularySize}`).join('; ')}`);

  // A few different uploads and options, so allocations vary like real traffic.
  const images = await Promise.all([[320, 240], [640, 480], [200, 300]].map(([w, h]) =>
    sharp({ create: { width: w, height: h, channels: 3, background: { r: 30 + w / 10, g: 120, b: h / 4 } } }).jpeg().toBuffer()));
  const variants = ['beamSize=3', 'beamSize=1&includeMaps=false', 'beamSize=2&tags=true', 'sample=true&seed=7&maxLength=8'];
  const forms = await Promise.all(images.map(async (jpeg) => {
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(jpeg)], { type: 'image/jpeg' }), 'soak.jpg');
    const req = new Request(url, { method: 'POST', body: form });
    return { body: new Uint8Array(await req.arrayBuffer()), type: req.headers.get('content-type')! };
  }));

  const samples: Sample[] = [];
  const sample = async (requests: number, since: number, sinceCount: number) => {
    const text = await (await fetch(`${url}/metrics`)).text();
    const s: Sample = {
      requests,
      seconds: (Date.now() - start) / 1000,
      rssMb: metric(text, 'process_resident_memory_bytes') / 2 ** 20,
      tensors: metric(text, 'inference_worker_tensors'),
      tensorMb: metric(text, 'inference_worker_tensor_bytes') / 2 ** 20,
      workerHeapMb: metric(text, 'inference_worker_heap_bytes') / 2 ** 20,
      reqPerSec: (requests - sinceCount) / ((Date.now() - since) / 1000 || 1),
    };
    samples.push(s);
    console.log(`  ${String(requests).padStart(6)} requests  rss ${s.rssMb.toFixed(1)} MB  tensors ${s.tensors}  worker heap ${s.workerHeapMb.toFixed(1)} MB  ${s.reqPerSec.toFixed(1)} req/s`);
  };

  const start = Date.now();
  await sample(0, start, 0);
  let sent = 0;
  let done = 0;
  const failures = new Map<string, number>();
  let lastSampleAt = Date.now();
  let lastSampleCount = 0;
  let sampling: Promise<void> = Promise.resolve();
  const client = async () => {
    while (sent < N) {
      const i = sent++;
      const f = forms[i % forms.length];
      try {
        const res = await fetch(`${url}/v1/captions?${variants[i % variants.length]}`, { method: 'POST', body: f.body, headers: { 'content-type': f.type } });
        await res.arrayBuffer();
        if (res.status !== 200) failures.set(String(res.status), (failures.get(String(res.status)) ?? 0) + 1);
      } catch (err) {
        const k = (err as Error).message;
        failures.set(k, (failures.get(k) ?? 0) + 1);
      }
      done++;
      if (done % SAMPLE === 0) {
        const [at, count] = [lastSampleAt, lastSampleCount];
        lastSampleAt = Date.now();
        lastSampleCount = done;
        sampling = sampling.then(() => sample(done, at, count));
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, client));
  await sampling;

  const first = samples[0];
  const warm = samples[1] ?? first;
  const last = samples.at(-1)!;
  const head = ['requests', 'elapsed s', 'RSS MB', 'tensors', 'tensor MB', 'worker heap MB', 'req/s'];
  const rows = samples.map((s) => [s.requests, s.seconds.toFixed(0), s.rssMb.toFixed(1), s.tensors, s.tensorMb.toFixed(1), s.workerHeapMb.toFixed(1), s.requests ? s.reqPerSec.toFixed(1) : '-'].map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (c: string[]) => `| ${c.map((x, i) => x.padStart(widths[i])).join(' | ')} |`;
  console.log(`\n${[line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n')}`);
  const per1k = (a: Sample, b: Sample) => ((b.rssMb - a.rssMb) / Math.max(1, b.requests - a.requests)) * 1000;
  console.log(`\ndrift: RSS ${(last.rssMb - first.rssMb).toFixed(1)} MB from start, ${(last.rssMb - warm.rssMb).toFixed(1)} MB after the first ${warm.requests} requests (${per1k(warm, last).toFixed(2)} MB per 1000 requests); tensors ${last.tensors - first.tensors}; worker heap ${(last.workerHeapMb - warm.workerHeapMb).toFixed(1)} MB`);

  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  models.cleanup();
  const problems: string[] = [];
  if (failures.size) problems.push(`non-200 / failed requests: ${JSON.stringify(Object.fromEntries(failures))}`);
  if (last.tensors !== first.tensors) problems.push(`tensor count changed ${first.tensors} → ${last.tensors} (leak)`);
  if (problems.length) {
    console.error(`FAIL: ${problems.join('; ')}`);
    return 1;
  }
  console.log(`PASS: ${N} requests, all 200, tensor count flat`);
  return 0;
}

process.exit(await main());
