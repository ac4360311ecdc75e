// Server settings from the environment, validated once at start-up so a typo fails loudly.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { cpuCount, intraOpThreads } from '../runtime/threads.ts';
import type { WorkerCaptionerOptions } from '../engine/pool.ts';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');
const MB = 1024 * 1024;

export const EnvSchema = z.object({
  PORT: int(0, 65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  MODELS_DIR: z.string().min(1).default('./models').describe('holds the encoder file and the soft/ and hard/ decoders'),
  ALLOW_DOWNLOAD: bool.default(true).describe('download the encoder and the object detector from their official URLs when missing (sha256 checked)'),
  MAX_FILE_BYTES: int(1, 512 * MB).default(25 * MB).describe('per image (fits full-size camera JPEGs)'),
  MAX_FILES: int(1, 64).default(8).describe('images per request'),
  MAX_PIXELS: int(1, 500_000_000).default(40_000_000).describe('decoded pixels per image (decompression-bomb guard)'),
  MAX_CONCURRENT: int(1, 16).default(Math.min(16, cpuCount())).describe('inference worker threads (default: os.availableParallelism()); each holds its own model copy (~150 MB RSS per worker with the ort decoder, ~210 MB with tfjs)'),
  DECODER_RUNTIME: z.enum(['auto', 'ort', 'tfjs']).default('auto').describe('what runs the decoder: ort (ONNX Runtime, CPU), tfjs (TFJS_BACKEND), auto: tfjs with tfjs-node-gpu installed, else ort'),
  ORT_THREADS: int(1, 64).optional().describe('ONNX Runtime intra-op threads per worker (default: cores / workers, at least 1, so workers do not oversubscribe the cores)'),
  FINE_FOCUS: bool.default(true).describe('default of the fineFocus option: object words\' focus maps on the finer grid, from a second encoder pass for photos larger than the encoder input. false: about twice the throughput of requests with maps (docs/benchmarks.md); a request can still ask for fineFocus'),
  MAX_BATCH: int(1, 64).default(8).describe('images decoded together across concurrent requests (beams of all of them in one step)'),
  BATCH_WINDOW_MS: int(0, 1000).default(2).describe('how long a request waits for others to share its batch when a worker is idle'),
  MAX_QUEUE: int(0, 10_000).default(16).describe('requests waiting for an inference slot; beyond → 503'),
  REQUEST_TIMEOUT_MS: int(100, 3_600_000).default(60_000).describe('queue wait + inference deadline per request'),
  BODY_TIMEOUT_MS: int(100, 3_600_000).default(30_000).describe('the whole request (headers + upload) must arrive within this (→ 408)'),
  IDLE_TIMEOUT_MS: int(100, 3_600_000).default(30_000).describe('a socket with no traffic for this long is closed'),
  KEEP_ALIVE_TIMEOUT_MS: int(100, 600_000).default(5_000),
  SHUTDOWN_TIMEOUT_MS: int(100, 600_000).default(30_000).describe('grace period for in-flight requests on SIGTERM'),
  ALLOW_IMAGE_URLS: bool.default(false).describe('accept {images:[{url}]} in JSON bodies: the server fetches them (hosts on IMAGE_URL_ALLOWLIST only)'),
  IMAGE_URL_ALLOWLIST: z.string().default('').describe('comma-separated host names (a leading dot allows subdomains: .example.org)'),
  IMAGE_URL_TIMEOUT_MS: int(100, 120_000).default(10_000).describe('whole fetch of one image URL, redirects included'),
  IMAGE_URL_ALLOW_LOOPBACK: bool.default(false).describe('tests only: let URL fetches reach 127.0.0.0/8 and ::1 (other private ranges stay refused)'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // ---- edge security (all off by default, for local use) ----
  API_KEYS: z.string().optional().describe('comma-separated API keys (or sha256:<hex> of a key): Authorization: Bearer <key> is then required on /v1'),
  API_KEYS_FILE: z.string().optional().describe('file of sha256 hex digests of API keys, one per line (# comments); combined with API_KEYS'),
  METRICS_API_KEYS: z.string().optional().describe('comma-separated keys (or sha256:<hex>) required on /metrics; unset: /metrics is open'),
  RATE_LIMIT_MAX: int(0, 1_000_000).default(0).describe('requests per window per API key (per client address when keys are off) on /v1; 0 = no limit'),
  RATE_LIMIT_WINDOW_MS: int(100, 86_400_000).default(60_000),
  SECURITY_HEADERS: bool.default(true).describe('helmet headers with a strict Content-Security-Policy'),
  TRUST_PROXY: z.string().optional().describe('behind a reverse proxy: true, a hop count, or comma-separated proxy addresses/CIDRs (client address from X-Forwarded-For)'),
  CORS_ORIGINS: z.string().optional().describe('comma-separated allowed origins (or *) for cross-origin browser calls; unset: CORS off'),
  // ---- batch jobs ----
  REDIS_URL: z.string().url().optional().describe('redis://host:port: enables /v1/jobs (BullMQ) and shares rate-limit counters across replicas'),
  JOBS_QUEUE: z.string().regex(/^[\w-]{1,64}$/).default('captions').describe('BullMQ queue name (API and workers must agree)'),
  JOB_TTL_S: int(60, 30 * 86_400).default(86_400).describe('how long uploaded images and finished results are kept in Redis'),
  JOB_ATTEMPTS: int(1, 20).default(3).describe('tries per job for transient failures (a bad image fails at once)'),
});

export const ConfigSchema = EnvSchema.transform((e) => ({
  port: e.PORT,
  host: e.HOST,
  modelsDir: e.MODELS_DIR,
  allowDownload: e.ALLOW_DOWNLOAD,
  maxFileBytes: e.MAX_FILE_BYTES,
  maxFiles: e.MAX_FILES,
  maxPixels: e.MAX_PIXELS,
  maxConcurrent: e.MAX_CONCURRENT,
  decoderRuntime: e.DECODER_RUNTIME,
  ortThreads: e.ORT_THREADS ?? intraOpThreads(e.MAX_CONCURRENT),
  // Request options whose default the server sets (a caller who names the option still decides).
  optionDefaults: { fineFocus: e.FINE_FOCUS },
  maxBatch: e.MAX_BATCH,
  batchWindowMs: e.BATCH_WINDOW_MS,
  maxQueue: e.MAX_QUEUE,
  requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
  bodyTimeoutMs: e.BODY_TIMEOUT_MS,
  idleTimeoutMs: e.IDLE_TIMEOUT_MS,
  keepAliveTimeoutMs: e.KEEP_ALIVE_TIMEOUT_MS,
  shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
  logLevel: e.LOG_LEVEL,
  // Keys are kept only as sha256 digests (hex): never in memory as plain text, never logged.
  apiKeyHashes: keyHashes(e.API_KEYS),
  apiKeysFile: e.API_KEYS_FILE,
  metricsKeyHashes: keyHashes(e.METRICS_API_KEYS),
  rateLimitMax: e.RATE_LIMIT_MAX,
  rateLimitWindowMs: e.RATE_LIMIT_WINDOW_MS,
  securityHeaders: e.SECURITY_HEADERS,
  trustProxy: trustProxy(e.TRUST_PROXY),
  corsOrigins: e.CORS_ORIGINS ? e.CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean) : [],
  redisUrl: e.REDIS_URL,
  jobsQueue: e.JOBS_QUEUE,
  jobTtlSeconds: e.JOB_TTL_S,
  jobAttempts: e.JOB_ATTEMPTS,
  imageUrls: {
    enabled: e.ALLOW_IMAGE_URLS,
    allowlist: e.IMAGE_URL_ALLOWLIST.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean),
    timeoutMs: e.IMAGE_URL_TIMEOUT_MS,
    allowLoopback: e.IMAGE_URL_ALLOW_LOOPBACK,
  },
})).refine((c) => !c.imageUrls.enabled || c.imageUrls.allowlist.length > 0, { message: 'ALLOW_IMAGE_URLS=true needs a non-empty IMAGE_URL_ALLOWLIST', path: ['IMAGE_URL_ALLOWLIST'] });
export type ServerConfig = z.output<typeof ConfigSchema>;

function trustProxy(v: string | undefined): boolean | number | string[] {
  if (!v || v === 'false' || v === '0') return false;
  if (v === 'true') return true;
  if (/^\d+$/.test(v)) return Number(v);
  return v.split(',').map((s) => s.trim()).filter(Boolean);
}

const HEX_DIGEST = /^(?:sha256:)?([0-9a-f]{64})$/i;
export const sha256Hex = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');

/** "k1, sha256:<hex>, k2" → hex digests; an entry that looks like a digest is taken as one. */
function keyHashes(list: string | undefined): string[] {
  if (!list) return [];
  return list.split(',').map((k) => k.trim()).filter(Boolean).map((k) => {
    const m = k.startsWith('sha256:') ? HEX_DIGEST.exec(k) : null;
    return m ? m[1].toLowerCase() : sha256Hex(k);
  });
}

/** API_KEYS_FILE: one sha256 hex digest per line (`sha256:` prefix optional), `#` comments. */
export function readKeyFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`API_KEYS_FILE=${path}: ${(err as Error).message}`);
  }
  const out: string[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const m = HEX_DIGEST.exec(line);
    // The offending line is not echoed: it might be a plain key pasted by mistake.
    if (!m) throw new ConfigError(`API_KEYS_FILE=${path} line ${i + 1}: not a sha256 hex digest (store sha256(key), e.g. printf %s "$KEY" | sha256sum)`);
    out.push(m[1].toLowerCase());
  }
  return out;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads the known variables only; empty strings count as unset (e.g. `PORT=` in a .env file). */
export function loadConfig(env: Record<string, string | undefined> = process.env): ServerConfig {
  const picked = Object.fromEntries(Object.keys(EnvSchema.shape).flatMap((k) => (env[k] ? [[k, env[k]]] : [])));
  const parsed = ConfigSchema.safeParse(picked);
  if (parsed.success) {
    const c = parsed.data;
    if (c.apiKeysFile) c.apiKeyHashes = [...c.apiKeyHashes, ...readKeyFile(c.apiKeysFile)];
    return c;
  }
  const secret = (k: string) => /KEY|REDIS_URL/.test(k); // may hold credentials: never echoed
  const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}=${secret(String(i.path[0])) ? '(hidden)' : JSON.stringify(picked[String(i.path[0])] ?? '')}: ${i.message}`);
  throw new ConfigError(`invalid environment:\n${lines.join('\n')}`);
}

/** The inference pool this config describes (workers, batching, the line's length, the deadline). */
export function poolOptions(c: ServerConfig): WorkerCaptionerOptions {
  return {
    modelsDir: c.modelsDir,
    allowDownload: c.allowDownload,
    maxPixels: c.maxPixels,
    workers: c.maxConcurrent,
    runtime: c.decoderRuntime,
    intraOpThreads: c.ortThreads,
    maxBatch: c.maxBatch,
    batchWindowMs: c.batchWindowMs,
    maxQueue: c.maxQueue,
    // The request deadline has passed by then: stop the runaway job by restarting its worker.
    jobTimeoutMs: c.requestTimeoutMs,
  };
}
