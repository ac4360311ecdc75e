// Shared test fixtures: a models dir (trained decoders when present), images made with sharp,
// multipart bodies, and a captioner loaded once per test file.
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { createApp, type AppOptions, type CaptionApp } from '../../src/server/app.ts';
import { loadConfig, poolOptions, type ServerConfig } from '../../src/server/config.ts';
import { Captioner } from '../../src/pipeline/captioner.ts';
import { Engine } from '../../src/engine/engine.ts';
import { InThreadExecutor } from '../../src/engine/local.ts';
import { CaptionResultSchema } from '../../src/service/schemas.ts';
import { startWorkers, type WorkerCaptionerOptions } from '../../src/engine/pool.ts';
import { CRASHING_WORKER, TestExecutor } from './executors.ts';
import { DETECTOR_DIR, MODEL_FILE, SHARED_DIR, skipWithoutDetector, skipWithoutModel } from './shared-dir.ts';
import { SPECIALS, Vocabulary } from '../../src/data/vocab.ts';
import { encoderManifest } from '../../src/encoder/manifest.ts';
import { defaultConfig } from '../../src/model/config.ts';
import { saveDecoder } from '../../src/model/io.ts';
import { initParams } from '../../src/model/params.ts';
import { mulberry32 } from '../../src/util/rng.ts';

export { skipWithoutDetector, skipWithoutModel, SHARED_DIR };
export const REPO_MODELS = process.env.MODELS_DIR ?? fileURLToPath(new URL('../../models', import.meta.url));

/** What a test models dir holds besides the encoder and decoders. */
export interface ModelsDirOptions {
  /** Link the object detector (when there is one): captions are grounded by default. */
  detector?: boolean;
}

/**
 * A temp dir holding the encoder (symlink) and, when training has produced them, the real
 * decoders from models/; without them the captioner serves its untrained decoder. The object
 * detector only when asked for (then grounding is on by default, and every caption runs it).
 */
export function makeModelsDir(opts: ModelsDirOptions = {}): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'sat-server-'));
  symlinkSync(MODEL_FILE, join(dir, 'mobilenetv2-12-int8.onnx'));
  for (const kind of ['soft', 'hard']) {
    const src = join(REPO_MODELS, kind);
    if (existsSync(join(src, 'config.json'))) symlinkSync(src, join(dir, kind));
  }
  if (opts.detector && DETECTOR_DIR) symlinkSync(DETECTOR_DIR, join(dir, 'detector'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A models dir whose soft/ decoder is random but has a real-sized vocabulary, so <end> is
 * rarely chosen and beam search runs to maxLength: a reliably slow captioner for tests.
 */
export async function makeSlowModelsDir(words = 2000): Promise<{ dir: string; cleanup: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'sat-slow-'));
  symlinkSync(MODEL_FILE, join(dir, 'mobilenetv2-12-int8.onnx'));
  const vocab = new Vocabulary([...SPECIALS, ...Array.from({ length: words }, (_, i) => `w${i}`)]);
  const config = defaultConfig({ vocabSize: vocab.size, encoder: { id: encoderManifest.id, sha256: encoderManifest.sha256, inputSize: 224 }, maxLength: 50 });
  await saveDecoder(join(dir, 'soft'), { config, vocab, params: initParams(config, mulberry32(7)) });
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function testConfig(env: Record<string, string> = {}): ServerConfig {
  // One worker unless a test asks for more (the default is one per core).
  return loadConfig({ LOG_LEVEL: 'silent', ALLOW_DOWNLOAD: 'false', MAX_CONCURRENT: '1', ...env });
}

let shared: Promise<Captioner> | undefined;
/** One captioner per test process (loading takes a second or two). */
export function sharedCaptioner(): Promise<Captioner> {
  shared ??= (async () => {
    const { dir, cleanup } = makeModelsDir();
    // Kept until the process ends: the second decoder is read from it on its first request.
    process.once('exit', cleanup);
    return Captioner.load({ modelsDir: dir, allowDownload: false });
  })();
  return shared;
}

/** An engine with its test executors (tests hold them, or crash their workers). */
export interface TestEngine {
  engine: Engine;
  executors: TestExecutor[];
}

/** The shared captioner as an in-thread engine whose line is sized by `config` (MAX_BATCH, MAX_QUEUE). */
export async function localEngine(config: ServerConfig = testConfig()): Promise<TestEngine> {
  const captioner = await sharedCaptioner();
  const executors = [new TestExecutor(new InThreadExecutor(captioner))];
  return { engine: new Engine(executors, captioner.info(), { maxBatch: config.maxBatch, maxQueue: config.maxQueue }), executors };
}

/** An app over the shared captioner (in-thread); `engine` is its engine, `executors` its test executors. */
export async function testApp(env: Record<string, string> = {}, extra: Partial<AppOptions> = {}): Promise<CaptionApp & TestEngine> {
  const config = testConfig(env);
  const { engine, executors } = await localEngine(config);
  return { ...createApp({ captioner: engine, config, ...extra }), engine, executors };
}

/**
 * The engine over worker threads, as the server builds it, over a temp models dir kept until
 * dispose (a restarted worker reloads the model from disk); its workers can be crashed.
 */
export async function startWorkerCaptioner(opts: Partial<WorkerCaptionerOptions> = {}, slow = false, dirOpts: ModelsDirOptions = {}): Promise<TestEngine & { captioner: Engine; dispose: () => Promise<void> }> {
  const models = slow ? await makeSlowModelsDir() : makeModelsDir(dirOpts);
  try {
    const all = { modelsDir: models.dir, allowDownload: false, ...opts };
    const started = await startWorkers(all, CRASHING_WORKER);
    const executors = started.executors.map((e) => new TestExecutor(e));
    const captioner = new Engine(executors, started.info, all);
    return { captioner, engine: captioner, executors, dispose: async () => { await captioner.dispose(); models.cleanup(); } };
  } catch (err) {
    models.cleanup();
    throw err;
  }
}

/** A real server (inference in worker threads) listening on an ephemeral port. */
export interface ListeningApp extends CaptionApp {
  captioner: Engine;
  executors: TestExecutor[];
  base: string;
  close: () => Promise<void>;
}

export async function listeningWorkerApp(env: Record<string, string> = {}, opts: Partial<WorkerCaptionerOptions> = {}, slow = false, dirOpts: ModelsDirOptions = {}): Promise<ListeningApp> {
  const config = testConfig(env);
  const { modelsDir: _, jobTimeoutMs: __, ...fromConfig } = poolOptions(config);
  const { captioner, executors, dispose } = await startWorkerCaptioner({ ...fromConfig, ...opts }, slow, dirOpts);
  const created = createApp({ captioner, config });
  await created.app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(created.app.server.address() as AddressInfo).port}`;
  return { ...created, captioner, executors, base, close: async () => { await created.app.close(); await dispose(); } };
}

/** An app over the shared captioner (in-thread) listening on an ephemeral port: a real socket. */
export async function listenLocal(env: Record<string, string> = {}): Promise<{ app: CaptionApp['app']; base: string }> {
  const config = testConfig(env);
  const { app } = createApp({ captioner: (await localEngine(config)).engine, config });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}

/** A JSON request body for httpRequest. */
export const jsonBody = (body: unknown) => ({ payload: Buffer.from(JSON.stringify(body)), headers: { 'content-type': 'application/json' } });
/** The results of a 200 from /v1/captions, each checked against the published schema. */
export const captionResults = (res: RawResponse) => (JSON.parse(res.body) as { results: unknown[] }).results.map((r) => CaptionResultSchema.parse(r));
/** The JSON error body of a 4xx/5xx. */
export const errorBody = (res: RawResponse) => JSON.parse(res.body) as { error: string; message: string };

/** POST a multipart body and collect the answer as bytes (images from /v1/overlays). */
export function postBytes(url: string, form: { payload: Buffer; headers: Record<string, string> }): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: form.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks)));
    });
    req.on('error', reject);
    req.end(form.payload);
  });
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  reused: boolean;
}

/** One request with node:http (so the agent and socket are under test control). */
export function httpRequest(base: string, path: string, body: { payload: Buffer; headers: Record<string, string> } | null, agent?: http.Agent, method = body ? 'POST' : 'GET'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method, agent, headers: body?.headers ?? {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text, reused: req.reusedSocket }));
    });
    req.on('error', reject);
    req.end(body?.payload);
  });
}

/** Options that yield at least one word even from the untrained decoder (seeded sampling). */
export const WORDY = { sample: 'true', temperature: '5', seed: '3', maxLength: '4' } as const;

/** A deterministic textured RGB image (gradients + stripes), w×h. */
export function rawImage(w: number, h: number): Buffer {
  const raw = Buffer.alloc(w * h * 3);
  for (let i = 0; i < w * h; i++) {
    const x = i % w, y = Math.floor(i / w);
    raw[i * 3] = (x * 255) / w; raw[i * 3 + 1] = (y * 255) / h; raw[i * 3 + 2] = ((x >> 3) + (y >> 3)) % 2 ? 200 : 40;
  }
  return raw;
}

export const img = (w = 160, h = 120) => sharp(rawImage(w, h), { raw: { width: w, height: h, channels: 3 } });
export const jpeg = (w?: number, h?: number) => img(w, h).jpeg().toBuffer();
export const png = (w?: number, h?: number) => img(w, h).png().toBuffer();

/**
 * A PNG whose header claims w×h pixels, 1-bit grey, all zero: a decompression bomb that stays
 * tiny on the wire (20000² → ~50 kB).
 */
export function pngBomb(w: number, h: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => { let c = 0xffffffff; for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type: string, data: Buffer) => {
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const c = Buffer.alloc(4); c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 1; ihdr[9] = 0; // 1-bit greyscale
  const raw = Buffer.alloc((Math.ceil(w / 8) + 1) * h); // filter byte 0 + zero pixels per row
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

export interface Part {
  name: string;
  data: Buffer | string;
  filename?: string;
  type?: string;
}

/** A multipart/form-data body as fetch would send it. */
export async function multipart(parts: Part[]): Promise<{ payload: Buffer; headers: Record<string, string> }> {
  const form = new FormData();
  for (const p of parts) {
    if (p.filename !== undefined) form.append(p.name, new Blob([typeof p.data === 'string' ? p.data : new Uint8Array(p.data)], { type: p.type ?? 'application/octet-stream' }), p.filename);
    else form.append(p.name, String(p.data));
  }
  const req = new Request('http://localhost/', { method: 'POST', body: form });
  return { payload: Buffer.from(await req.arrayBuffer()), headers: { 'content-type': req.headers.get('content-type')! } };
}

/** Shorthand: files in field "image" plus option fields. */
export async function imageForm(images: Buffer[], fields: Record<string, string> = {}) {
  return multipart([
    ...images.map((data, i) => ({ name: 'image', data, filename: `img${i}.bin` })),
    ...Object.entries(fields).map(([name, data]) => ({ name, data })),
  ]);
}

/** Attention maps: h×w grid, every row non-negative, all cells summing to ≈1. */
export function attentionOk(attention: number[][] | undefined, grid: { h: number; w: number }): boolean {
  if (!attention || attention.length !== grid.h || attention.some((r) => r.length !== grid.w)) return false;
  const cells = attention.flat();
  const sum = cells.reduce((a, b) => a + b, 0);
  // Values are rounded to mapDecimals (4 by default): up to 5e-5 off each.
  return cells.every((v) => v >= 0) && Math.abs(sum - 1) < 1e-3 + cells.length * 5e-5;
}

/** Parses a Server-Sent Events body into its events. */
export function parseSse(text: string): { event: string; data: unknown }[] {
  return text.split('\n\n').filter((b) => b.trim() && !b.startsWith(':')).map((block) => {
    const lines = block.split('\n');
    const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message';
    const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
    return { event, data: JSON.parse(data) };
  });
}
