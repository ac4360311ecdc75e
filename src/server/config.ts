// Server settings from the environment, validated once at start-up so a typo fails loudly.
import { z } from 'zod';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');
const MB = 1024 * 1024;

export const EnvSchema = z.object({
  PORT: int(0, 65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  MODELS_DIR: z.string().min(1).default('./models').describe('holds the encoder file and the soft/ and hard/ decoders'),
  ALLOW_DOWNLOAD: bool.default(true).describe('download the encoder from its official URL when missing'),
  MAX_FILE_BYTES: int(1, 512 * MB).default(25 * MB).describe('per image (fits full-size camera JPEGs)'),
  MAX_FILES: int(1, 64).default(8).describe('images per request'),
  MAX_PIXELS: int(1, 500_000_000).default(40_000_000).describe('decoded pixels per image (decompression-bomb guard)'),
  MAX_CONCURRENT: int(1, 16).default(1).describe('inference worker threads = inferences running at once; each worker holds its own model copy (~210 MB RSS per worker with the shipped encoder; keep it at most the free CPU cores)'),
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
  maxQueue: e.MAX_QUEUE,
  requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
  bodyTimeoutMs: e.BODY_TIMEOUT_MS,
  idleTimeoutMs: e.IDLE_TIMEOUT_MS,
  keepAliveTimeoutMs: e.KEEP_ALIVE_TIMEOUT_MS,
  shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
  logLevel: e.LOG_LEVEL,
  imageUrls: {
    enabled: e.ALLOW_IMAGE_URLS,
    allowlist: e.IMAGE_URL_ALLOWLIST.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean),
    timeoutMs: e.IMAGE_URL_TIMEOUT_MS,
    allowLoopback: e.IMAGE_URL_ALLOW_LOOPBACK,
  },
})).refine((c) => !c.imageUrls.enabled || c.imageUrls.allowlist.length > 0, { message: 'ALLOW_IMAGE_URLS=true needs a non-empty IMAGE_URL_ALLOWLIST', path: ['IMAGE_URL_ALLOWLIST'] });
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
