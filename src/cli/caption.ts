// `show-attend-tell caption PATH...`: caption image files and folders in batches to JSONL,
// optionally with a per-word attention sheet per image. Bad files become error lines.
// parse (caption-args.ts) → pipeline (caption-pipeline.ts) → write (caption-output.ts).
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { Captioner } from '../pipeline/captioner.ts';
import { ProgressBar } from '../util/progress.ts';
import { captionUsage, parseCaptionArgs } from './caption-args.ts';
import { JsonlWriter, summarize, type Failure } from './caption-output.ts';
import { captionFiles } from './caption-pipeline.ts';
import { findImages, PathNotFoundError, type FoundImage } from './walk.ts';

export interface CaptionIo {
  stdout?: Writable;
  stderr?: Writable;
  env?: NodeJS.ProcessEnv;
}

export async function runCaption(positional: string[], rawOptions: Record<string, string | number | boolean>, io: CaptionIo = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const env = io.env ?? process.env;
  const say = (msg: string) => void stderr.write(`${msg}\n`);
  const usage = (msg: string, full = false) => {
    say(`caption: ${msg}`);
    say(full ? `\n${captionUsage()}` : 'usage: show-attend-tell caption PATH... [--out DIR] [options]  (--help for all options)');
    return 2;
  };

  const args = parseCaptionArgs(positional, rawOptions);
  if (args.kind === 'help') {
    stdout.write(captionUsage());
    return 0;
  }
  if (args.kind === 'usage') return usage(args.message, args.full);
  const { paths, cli, captionOpts } = args;

  let files: FoundImage[];
  try {
    files = await findImages(paths, { recursive: cli.recursive });
  } catch (err) {
    if (err instanceof PathNotFoundError) return usage(err.message);
    throw err;
  }
  if (!files.length) say(`caption: no image files found under ${paths.join(', ')}`);
  if (cli.redis) {
    const { captionViaRedis } = await import('./caption-redis.ts');
    return captionViaRedis(files, { redisUrl: cli.redis, out: cli.out, window: cli.window, maps: cli.maps, options: captionOpts, queue: env.JOBS_QUEUE || 'captions', ttlSeconds: Number(env.JOB_TTL_S) || 86_400 }, { stdout, stderr });
  }

  const outDir = cli.out ? resolve(cli.out) : null;
  let jsonlPath: string | null = null;
  let out = JsonlWriter.toStream(stdout);
  if (outDir) {
    await mkdir(outDir, { recursive: true });
    jsonlPath = join(outDir, 'captions.jsonl');
    out = JsonlWriter.toFile(jsonlPath);
  }

  const modelsDir = resolve(cli.modelsDir ?? env.MODELS_DIR ?? 'models');
  const failures: Failure[] = [];
  let captioned = 0;
  let started = performance.now();
  let loadSecs = 0;
  let captioner: Captioner | null = null;
  let writeError: Error | null = null;
  try {
    if (files.length) {
      try {
        captioner = await Captioner.load({ modelsDir, allowDownload: cli.download, log: (m) => say(m) });
      } catch (err) {
        say(`caption: cannot load the models from ${modelsDir}: ${(err as Error).message}`);
        return 1;
      }
      if (!captioner.has(captionOpts.attention)) {
        say(`caption: no ${captionOpts.attention}-attention decoder in ${modelsDir} (have: ${captioner.info().decoders.map((d) => d.attention).join(', ')})`);
        return 1;
      }
      loadSecs = (performance.now() - started) / 1000;
      started = performance.now();
    }
    const bar = new ProgressBar('caption', files.length, 'images', stderr as typeof process.stderr);
    let done = 0;
    const overlays = outDir && cli.overlays ? { outDir, panelSize: cli.panelSize } : null;
    for await (const lines of captionFiles(captioner!, files, { batch: cli.batch, maps: cli.maps, overlays, captionOpts, say })) {
      for (const line of lines) {
        if ('error' in line) failures.push({ path: line.path, error: line.error });
        else captioned++;
        await out.write(line);
      }
      done += lines.length;
      bar.update(done, failures.length ? `(${failures.length} failed)` : '');
    }
  } catch (err) {
    if (!out.failed) throw err;
  } finally {
    writeError = await out.close();
    await captioner?.dispose();
  }
  if (writeError) {
    say(`caption: cannot write the output: ${writeError.message}`);
    return 1;
  }

  const secs = (performance.now() - started) / 1000;
  return summarize(say, `captioned ${captioned} of ${files.length} image${files.length === 1 ? '' : 's'}, ${failures.length} failed, ` +
    `${(files.length / Math.max(secs, 1e-9)).toFixed(2)} images/s (${secs.toFixed(1)} s + ${loadSecs.toFixed(1)} s loading models)` +
    (jsonlPath ? ` -> ${jsonlPath}${cli.overlays ? ` (+ overlays/)` : ''}` : ''), failures);
}
