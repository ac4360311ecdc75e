// Server settings from the environment, validated once at start-up so a typo fails loudly.
import { z } from 'zod';
import { cpuCount, intraOpThreads } from '../runtime/threads.ts';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');
const MB = 1024 * 1024;

export const EnvSchema = z.object({
  PORT: int(0, 65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  MODELS_DIR: z.string().min(1).default('./models').describe('holds the encoder file and the soft/ and hard/ decoders'),
  ALLOW_DOWNLOAD: bool.default(true).describe('download the encoder from its official URL when missing'),
  MAX_FILE_BYTES: int(1, 512 * MB).default(10 * MB),
  MAX_FILES: int(1, 64).default(8).describe('images per request'),
  MAX_PIXELS: int(1, 500_000_000).default(40_000_000).describe('decoded pixels per image (decompression-bomb guard)'),
  MAX_CONCURRENT: int(1, 16).default(Math.min(16, cpuCount())).describe('inference worker threads (default: os.availableParallelism()); each holds its own model copy (~110 MB RSS per worker with the ort decoder, ~210 MB with tfjs)'),
  DECODER_RUNTIME: z.enum(['auto', 'ort', 'tfjs']).default('auto').describe('what runs the decoder: ort (ONNX Runtime, CPU), tfjs (TFJS_BACKEND), auto: tfjs with tfjs-node-gpu installed, else ort'),
  ORT_THREADS: int(1, 64).optional().describe('ONNX Runtime intra-op threads per worker (default: cores / workers, at least 1, so workers do not oversubscribe the cores)'),
  MAX_BATCH: int(1, 64).default(8).describe('images decoded together across concurrent requests (beams of all of them in one step)'),
  BATCH_WINDOW_MS: int(0, 1000).default(2).describe('how long a request waits for others to share its batch when a worker is idle'),
  MAX_QUEUE: int(0, 10_000).default(16).describe('requests waiting for an inference slot; beyond → 503'),
  REQUEST_TIMEOUT_MS: int(100, 3_600_000).default(60_000).describe('queue wait + inference deadline per request'),
  BODY_TIMEOUT_MS: int(100, 3_600_000).default(30_000).describe('the whole request (headers + upload) must arrive within this (→ 408)'),
  IDLE_TIMEOUT_MS: int(100, 3_600_000).default(30_000).describe('a socket with no traffic for this long is closed'),
  KEEP_ALIVE_TIMEOUT_MS: int(100, 600_000).default(5_000),
  SHUTDOWN_TIMEOUT_MS: int(100, 600_000).default(30_000).describe('grace period for in-flight requests on SIGTERM'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
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
  maxBatch: e.MAX_BATCH,
  batchWindowMs: e.BATCH_WINDOW_MS,
  maxQueue: e.MAX_QUEUE,
  requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
  bodyTimeoutMs: e.BODY_TIMEOUT_MS,
  idleTimeoutMs: e.IDLE_TIMEOUT_MS,
  keepAliveTimeoutMs: e.KEEP_ALIVE_TIMEOUT_MS,
  shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
  logLevel: e.LOG_LEVEL,
}));
export type ServerConfig = z.output<typeof ConfigSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads the known variables only; empty strings count as unset (e.g. `PORT=` in a .env file). */
export function loadConfig(env: Record<string, string | undefined> = process.env): ServerConfig {
  const picked = Object.fromEntries(Object.keys(EnvSchema.shape).flatMap((k) => (env[k] ? [[k, env[k]]] : [])));
  const parsed = ConfigSchema.safeParse(picked);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}=${JSON.stringify(picked[String(i.path[0])] ?? '')}: ${i.message}`);
  throw new ConfigError(`invalid environment:\n${lines.join('\n')}`);
}
