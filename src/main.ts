// Service entry point: config → HTTP server (alive at once, ready once the model loads) → graceful stop.
// Inference runs in MAX_CONCURRENT worker threads (WorkerCaptioner), never on this event loop.
import { EncoderFileError } from './encoder/errors.ts';
import { ConfigError, loadConfig, poolOptions, type ServerConfig } from './server/config.ts';
import { createApp } from './server/app.ts';
import { WorkerCaptioner } from './engine/pool.ts';

function readConfig(): ServerConfig {
  try {
    return loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`show-attend-tell: ${err.message}`);
    process.exit(1);
  }
}

const config = readConfig();
let resolveCaptioner!: (c: WorkerCaptioner) => void;
const captionerReady = new Promise<WorkerCaptioner>((r) => { resolveCaptioner = r; });
const { app, beginShutdown } = createApp({ captioner: captionerReady, config });
const log = app.log;
let captioner: WorkerCaptioner | undefined;

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) {
    log.warn(`${signal} again: exiting now`);
    process.exit(1);
  }
  stopping = true;
  log.info(`${signal}: not accepting new requests, finishing in-flight ones`);
  beginShutdown();
  const force = setTimeout(() => {
    log.error(`in-flight requests still running after ${config.shutdownTimeoutMs} ms: exiting anyway`);
    process.exit(1);
  }, config.shutdownTimeoutMs);
  force.unref();
  try {
    await app.close(); // stops listening, waits for in-flight requests
    await captioner?.dispose();
    log.info('stopped');
    process.exit(0);
  } catch (err) {
    log.error({ err }, 'error during shutdown');
    process.exit(1);
  }
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

// Listen first: /healthz answers and /readyz says 503 while the model loads (or downloads).
await app.listen({ port: config.port, host: config.host });
try {
  captioner = await WorkerCaptioner.start({
    ...poolOptions(config),
    log: (m) => (m.startsWith('WARNING: ') ? log.warn(m.slice(9)) : log.info(m)),
  });
} catch (err) {
  if (err instanceof EncoderFileError) {
    log.fatal(`cannot start: ${err.message}`);
    console.error(`\nshow-attend-tell: the encoder model is not available.\n  ${err.message}\n  Put mobilenetv2-12-int8.onnx in MODELS_DIR (${config.modelsDir}) or set ALLOW_DOWNLOAD=true with network access.\n`);
  } else {
    log.fatal({ err }, 'cannot start: model failed to load');
  }
  await app.close();
  process.exit(1);
}
const info = captioner.info();
log.info({ workers: config.maxConcurrent, runtime: info.runtime, ortThreads: config.ortThreads, maxBatch: config.maxBatch, backend: info.backend, encoder: info.encoder.id, decoders: info.decoders.map((d) => `${d.attention}${d.trained ? '' : ' (UNTRAINED)'}: ${d.path ?? 'random init'}`) }, 'model loaded, ready');
resolveCaptioner(captioner);
