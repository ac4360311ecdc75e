// `show-attend-tell caption PATH...`: caption image files and folders in batches to JSONL,
// optionally with a per-word attention sheet per image. Bad files become error lines.
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { z } from 'zod';
import { Captioner } from '../service/captioner.ts';
import { CaptionOptionsSchema, type CaptionOptions, type CaptionResult } from '../service/schemas.ts';
import { OptionConflictError, resolveOptions } from '../service/options.ts';
import type { PreparedImage } from '../encoder/preprocess.ts';
import { renderSheet } from '../render/index.ts';
import { ProgressBar } from '../util/progress.ts';
import { findImages, PathNotFoundError, type FoundImage } from './walk.ts';

export const CAPTION_USAGE = `show-attend-tell caption PATH... [options]

PATH is an image file or a folder (walked recursively for .jpg .jpeg .png .webp .gif .tif
.tiff .avif .heic .heif; hidden entries skipped; sorted order). Writes one JSON line per image:
  {"path","caption","logprob","alternatives","tokens","image","timings"}  or  {"path","error"}

options (defaults):
  --out DIR             write DIR/captions.jsonl (and DIR/overlays/); without it JSONL goes
                        to stdout and progress to stderr
  --overlays            also write a PNG attention sheet per image to DIR/overlays/<path>.png
                        (needs --out)
  --panel-size N        side of each sheet panel in px (224)
  --no-recursive        only the files directly inside each folder
  --batch N             images per encoder/decoder batch (8)
  --models-dir DIR      encoder .onnx plus soft/ and hard/ decoders (env MODELS_DIR, else models)
  --download            fetch the encoder from its official URL when missing
  --maps                include per-word attention maps (tokens[].attention) in the JSONL
  --redis URL           do not caption here: enqueue one job per image on Redis for
                        \`show-attend-tell worker\` processes and write the lines as results come
                        back; with --out, a rerun skips the images already in captions.jsonl
  --window N            jobs in flight at once with --redis (64)
caption options:
  --beam-size N         beam width, 1 = greedy (3)        --n-best N       alternatives (≤ beam;
                                                          with --sample: that many samples)
  --max-length N        longest caption in words (20)     --length-penalty X   (0)
  --attention soft|hard decoder to use (soft)             --sample         sample words
  --temperature X       sampling temperature (1)          --seed N         random seed
  --sample-locations    hard attention: sample regions    --tags           ImageNet top-5
  --repetition-penalty X  repetition guard, 0 = off (4)
  Options that do not apply together (e.g. --temperature without --sample) are refused.
  --help                this text

exit status: 0 all images captioned, 1 some failed (listed at the end), 2 usage error.
`;

const bool = z.union([z.boolean(), z.literal(0), z.literal(1), z.enum(['true', 'false', '1', '0', 'yes', 'no'])])
  .transform((v) => v === true || v === 1 || v === 'true' || v === '1' || v === 'yes');

/** A path option: `--out 2024` arrives as the number 2024. */
const pathOpt = z.union([z.string().min(1), z.number()], { error: 'needs a path after it' }).transform(String);

const CliOptionsSchema = z.object({
  out: pathOpt.optional(),
  overlays: bool.default(false),
  panelSize: z.coerce.number().int().min(16).max(1024).default(224),
  recursive: bool.default(true),
  batch: z.coerce.number().int().min(1).max(256).default(8),
  modelsDir: pathOpt.optional(),
  download: bool.default(false),
  maps: bool.default(false),
  redis: z.string().url({ error: 'needs a redis:// URL' }).optional(),
  window: z.coerce.number().int().min(1).max(10_000).default(64),
  help: bool.default(false),
});

/** Flags that take no value: `--overlays photos/` must not swallow the path. */
const BOOLEAN_KEYS = new Set(['overlays', 'recursive', 'download', 'maps', 'includeMaps', 'help', 'sample', 'sampleLocations', 'tags']);
const BOOLEAN_WORDS = new Set(['true', 'false', 'yes', 'no', '1', '0']);
const ALIASES: Record<string, string> = { beam: 'beamSize', includeMaps: 'maps' };

export interface CaptionIo {
  stdout?: Writable;
  stderr?: Writable;
  env?: NodeJS.ProcessEnv;
}

/** One JSONL record. */
export type CaptionLine =
  | ({ path: string } & Pick<CaptionResult, 'caption' | 'logprob' | 'alternatives' | 'tokens' | 'image' | 'model'> & {
      tags?: CaptionResult['tags'];
      overlay?: string;
      timings: { prepareMs: number; encodeMs: number; decodeMs: number; overlayMs?: number; batch: number };
    })
  | { path: string; error: string; errorType: string };

export async function runCaption(positional: string[], rawOptions: Record<string, string | number | boolean>, io: CaptionIo = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const env = io.env ?? process.env;
  const say = (msg: string) => void stderr.write(`${msg}\n`);
  const usage = (msg: string, full = false) => {
    say(`caption: ${msg}`);
    say(full ? `\n${CAPTION_USAGE}` : 'usage: show-attend-tell caption PATH... [--out DIR] [options]  (--help for all options)');
    return 2;
  };

  // ---- options -------------------------------------------------------------------------------
  const paths = [...positional];
  const raw: Record<string, string | number | boolean> = {};
  for (const [k0, v0] of Object.entries(rawOptions)) {
    const k = ALIASES[k0] ?? k0;
    let v = v0;
    if (BOOLEAN_KEYS.has(k0) && typeof v !== 'boolean' && !BOOLEAN_WORDS.has(String(v).toLowerCase())) {
      paths.push(String(v)); // `--overlays photos/`: the value was really a PATH
      v = true;
    }
    raw[k] = v;
  }
  if (raw.help === true) {
    stdout.write(CAPTION_USAGE);
    return 0;
  }
  const cliKeys = new Set(Object.keys(CliOptionsSchema.shape));
  const captionKeys = new Set(Object.keys(CaptionOptionsSchema.shape).filter((k) => k !== 'includeMaps'));
  const unknown = Object.keys(raw).filter((k) => !cliKeys.has(k) && !captionKeys.has(k));
  if (unknown.length) return usage(`unknown option${unknown.length > 1 ? 's' : ''}: ${unknown.map(flag).join(', ')}`);
  const cliParsed = CliOptionsSchema.safeParse(pick(raw, cliKeys));
  const capParsed = CaptionOptionsSchema.safeParse(pick(raw, captionKeys));
  for (const p of [cliParsed, capParsed]) {
    if (!p.success) return usage(`bad options:\n${p.error.issues.map((i) => `  ${i.path.map((k) => flag(String(k))).join('.')}: ${i.message}`).join('\n')}`);
  }
  const cli = cliParsed.data!;
  // The captioner needs the maps for overlays even when the JSONL leaves them out.
  let captionOpts: CaptionOptions = { ...capParsed.data!, includeMaps: cli.maps || cli.overlays };
  try {
    captionOpts = resolveOptions(captionOpts, new Set(Object.keys(pick(raw, captionKeys)))); // same rules as the API
  } catch (err) {
    if (err instanceof OptionConflictError) return usage(`conflicting options: ${err.message}`);
    throw err;
  }
  if (!paths.length) return usage('no PATH given (image files or folders)', true);
  if (cli.overlays && !cli.out) return usage('--overlays needs --out DIR (the sheets go to DIR/overlays/)');

  let files: FoundImage[];
  try {
    files = await findImages(paths, { recursive: cli.recursive });
  } catch (err) {
    if (err instanceof PathNotFoundError) return usage(err.message);
    throw err;
  }
  if (!files.length) say(`caption: no image files found under ${paths.join(', ')}`);
  if (cli.redis) {
    if (cli.overlays) return usage('--overlays is not available with --redis (use /v1/overlays)');
    const { captionViaRedis } = await import('./caption-redis.ts');
    return captionViaRedis(files, { redisUrl: cli.redis, out: cli.out, window: cli.window, maps: cli.maps, options: captionOpts, queue: env.JOBS_QUEUE || 'captions', ttlSeconds: Number(env.JOB_TTL_S) || 86_400 }, { stdout, stderr });
  }

  // ---- output --------------------------------------------------------------------------------
  const outDir = cli.out ? resolve(cli.out) : null;
  let sink: Writable = stdout;
  let jsonlPath: string | null = null;
  if (outDir) {
    await mkdir(outDir, { recursive: true });
    jsonlPath = join(outDir, 'captions.jsonl');
    sink = createWriteStream(jsonlPath);
  }
  let sinkError: Error | null = null; // e.g. EPIPE when stdout is piped into `head`
  const onSinkError = (err: Error) => void (sinkError ??= err);
  sink.on('error', onSinkError);
  const emit = async (line: CaptionLine) => {
    if (sinkError) throw sinkError;
    if (!sink.write(`${JSON.stringify(line)}\n`)) await once(sink, 'drain');
  };

  const modelsDir = resolve(cli.modelsDir ?? env.MODELS_DIR ?? 'models');
  const failures: { path: string; error: string }[] = [];
  let captioned = 0;
  let started = performance.now();
  let loadSecs = 0;
  let captioner: Captioner | null = null;
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

    // Read + decode each file on its own, so one bad file only costs its own line; the next
    // batch is prepared while the current one is encoded and decoded.
    const prepareBatch = (batch: FoundImage[]) =>
      Promise.all(batch.map(async (file) => {
        const t0 = performance.now();
        try {
          const prepared = await captioner!.prepare(await readFile(file.absolute));
          return { file, prepared, prepareMs: performance.now() - t0 };
        } catch (err) {
          return { file, error: err as Error };
        }
      }));
    const batches: FoundImage[][] = [];
    for (let i = 0; i < files.length; i += cli.batch) batches.push(files.slice(i, i + cli.batch));
    let next = batches.length ? prepareBatch(batches[0]) : null;
    for (let b = 0; b < batches.length; b++) {
      const items = await next!;
      next = b + 1 < batches.length ? prepareBatch(batches[b + 1]) : null;
      const good = items.filter((x): x is typeof x & { prepared: PreparedImage; prepareMs: number } => 'prepared' in x && !!x.prepared);
      const results = new Map<FoundImage, CaptionLine>();
      for (const x of items) if ('error' in x && x.error) results.set(x.file, errorLine(x.file, x.error));

      // One captioner call per batch; if it fails as a whole, retry image by image.
      let captionedBatch: Awaited<ReturnType<Captioner['caption']>> | null = null;
      if (good.length) {
        try {
          captionedBatch = await captioner!.caption(good.map((x) => x.prepared), captionOpts);
        } catch {
          captionedBatch = null;
        }
      }
      for (let i = 0; i < good.length; i++) {
        const x = good[i];
        let one = captionedBatch?.[i];
        let batchSize = good.length;
        if (!one) {
          try {
            [one] = await captioner!.caption([x.prepared], captionOpts);
            batchSize = 1;
          } catch (err) {
            results.set(x.file, errorLine(x.file, err as Error));
            continue;
          }
        }
        const line = resultLine(x.file.path, one.result, cli.maps, {
          prepareMs: round(x.prepareMs),
          encodeMs: round(one.result.timings.encodeMs / batchSize),
          decodeMs: round(one.result.timings.decodeMs / batchSize),
          batch: batchSize,
        });
        const r = one.result;
        if (outDir && cli.overlays) {
          const t0 = performance.now();
          const rel = `overlays/${x.file.relative}.png`;
          try {
            const png = await renderSheet(
              { rgb: one.prepared.rgb, width: one.prepared.rgbWidth, height: one.prepared.rgbHeight },
              r.tokens.map((t) => ({ word: t.word, attention: t.attention ?? [], region: t.region?.index, logprob: t.logprob })),
              { mode: captionOpts.attention, format: 'png', panelSize: cli.panelSize, title: x.file.relative },
            );
            const target = join(outDir, rel);
            await mkdir(dirname(target), { recursive: true });
            await writeFile(target, png);
            line.overlay = rel;
            line.timings.overlayMs = round(performance.now() - t0);
          } catch (err) {
            say(`caption: overlay for ${x.file.path} failed: ${(err as Error).message}`);
          }
        }
        results.set(x.file, line);
      }
      for (const x of items) {
        const line = results.get(x.file)!;
        if ('error' in line) failures.push({ path: line.path, error: line.error });
        else captioned++;
        await emit(line);
      }
      done += items.length;
      bar.update(done, failures.length ? `(${failures.length} failed)` : '');
    }
  } catch (err) {
    if (!sinkError) throw err;
    say(`caption: cannot write the output: ${(sinkError as Error).message}`);
    return 1;
  } finally {
    if (sink !== stdout) {
      sink.end();
      await finished(sink).catch((err: Error) => void (sinkError ??= err));
    }
    sink.off('error', onSinkError);
    await captioner?.dispose();
  }

  if (sinkError) {
    say(`caption: cannot write the output: ${(sinkError as Error).message}`);
    return 1;
  }

  // ---- summary -------------------------------------------------------------------------------
  const secs = (performance.now() - started) / 1000;
  say(`captioned ${captioned} of ${files.length} image${files.length === 1 ? '' : 's'}, ${failures.length} failed, ` +
    `${(files.length / Math.max(secs, 1e-9)).toFixed(2)} images/s (${secs.toFixed(1)} s + ${loadSecs.toFixed(1)} s loading models)` +
    (jsonlPath ? ` -> ${jsonlPath}${cli.overlays ? ` (+ overlays/)` : ''}` : ''));
  if (failures.length) {
    say(`failed:`);
    for (const f of failures) say(`  ${f.path}: ${f.error}`);
  }
  return failures.length ? 1 : 0;
}

/** A captioned image as one JSONL record (maps only when asked for: they dominate the size). */
export function resultLine(path: string, r: CaptionResult, maps: boolean, timings: Extract<CaptionLine, { caption: string }>['timings']): Extract<CaptionLine, { caption: string }> {
  return {
    path,
    caption: r.caption,
    logprob: r.logprob,
    alternatives: r.alternatives,
    tokens: r.tokens.map((t) => {
      if (maps) return t;
      const { attention: _drop, ...rest } = t;
      return rest;
    }),
    image: r.image,
    model: r.model,
    ...(r.tags ? { tags: r.tags } : {}),
    timings,
  };
}

function errorLine(file: FoundImage, err: Error): CaptionLine {
  return { path: file.path, error: err?.message ?? String(err), errorType: err?.name ?? 'Error' };
}

function pick(o: Record<string, unknown>, keys: Set<string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => keys.has(k)));
}

const flag = (k: string) => `--${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`;
const round = (ms: number) => Math.round(ms * 10) / 10;
