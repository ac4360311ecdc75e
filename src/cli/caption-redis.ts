// `show-attend-tell caption --redis URL PATH...`: one job per image on the queue that
// `show-attend-tell worker` processes run, JSONL written as results come back. Resumable: with
// --out, images already in captions.jsonl are skipped; a job id is a digest of the image and the
// options, so a rerun also picks up jobs the interrupted run had enqueued instead of redoing them.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { JsonlWriter, resultLine, summarize, type CaptionLine, type Failure } from './caption-output.ts';
import type { FoundImage } from './walk.ts';
import type { CaptionOptions } from '../service/schemas.ts';
import { ProgressBar } from '../util/progress.ts';
import { decodeError, JobResultSchema } from '../jobs/schemas.ts';
import { JobStore } from '../jobs/store.ts';

export interface RedisCaptionOptions {
  redisUrl: string;
  queue: string;
  ttlSeconds: number;
  out?: string;
  /** Jobs in flight at once: bounds the images held in Redis. */
  window: number;
  maps: boolean;
  options: CaptionOptions;
}

/** Paths with a caption line in an earlier captions.jsonl; error lines and torn lines are dropped. */
async function previousLines(file: string): Promise<Map<string, string>> {
  const done = new Map<string, string>();
  if (!existsSync(file)) return done;
  for (const line of (await readFile(file, 'utf8')).split('\n')) {
    try {
      const rec = JSON.parse(line) as { path?: unknown; caption?: unknown };
      if (typeof rec.path === 'string' && typeof rec.caption === 'string') done.set(rec.path, line);
    } catch {
      // a line cut short when the last run was killed: that image is done again
    }
  }
  return done;
}

export async function captionViaRedis(files: FoundImage[], o: RedisCaptionOptions, io: { stdout: Writable; stderr: Writable }): Promise<number> {
  const say = (m: string) => void io.stderr.write(`${m}\n`);
  const started = performance.now();
  let out = JsonlWriter.toStream(io.stdout);
  let jsonl: string | null = null;
  let skipped = 0;
  let todo = files;
  if (o.out) {
    const dir = resolve(o.out);
    await mkdir(dir, { recursive: true });
    jsonl = join(dir, 'captions.jsonl');
    const done = await previousLines(jsonl);
    todo = files.filter((f) => !done.has(f.path));
    skipped = files.length - todo.length;
    // Keep the good lines of earlier runs (failed images are tried again), then append.
    const kept = [...done.values()].map((l) => `${l}\n`).join('');
    await writeFile(`${jsonl}.tmp`, kept);
    await rename(`${jsonl}.tmp`, jsonl);
    out = JsonlWriter.toFile(jsonl, true);
  }
  if (skipped) say(`caption: ${skipped} image(s) already in ${jsonl}: skipped`);

  const store = new JobStore({ redisUrl: o.redisUrl, queue: o.queue, ttlSeconds: o.ttlSeconds, attempts: 3 });
  const optionsKey = JSON.stringify(o.options);
  const bar = new ProgressBar('caption', todo.length, 'images', io.stderr as typeof process.stderr);
  const failures: Failure[] = [];
  let finishedCount = 0;
  try {
    await store.redis.ping(); // a wrong URL fails here, with a clear message, not after a hang
    let next = 0;
    const one = async (file: FoundImage): Promise<CaptionLine> => {
      let data: Buffer;
      try {
        data = await readFile(file.absolute);
      } catch (err) {
        return { path: file.path, error: (err as Error).message, errorType: 'read_error' };
      }
      const id = `img-${createHash('sha256').update(optionsKey).update('\0').update(data).digest('hex').slice(0, 40)}`;
      const existing = await store.get(id);
      // A transient failure left over from an earlier run is retried rather than reported again.
      if (existing && (await existing.getState()) === 'failed' && decodeError(existing.failedReason).status >= 500) await existing.retry();
      if (!existing) await store.enqueue([{ filename: file.relative, data }], o.options, null, id);
      const job = (await store.get(id))!;
      try {
        const { results: [r] } = JobResultSchema.parse(await store.wait(job));
        return resultLine(file.path, r, o.maps, { prepareMs: r.timings.preprocessMs, encodeMs: r.timings.encodeMs, decodeMs: r.timings.decodeMs, batch: 1 });
      } catch (err) {
        const e = decodeError((err as Error).message);
        return { path: file.path, error: e.message, errorType: e.error };
      }
    };
    // `window` lanes, each taking the next file when its job is done.
    const lane = async () => {
      while (next < todo.length) {
        const file = todo[next++];
        const line = await one(file);
        if ('error' in line) failures.push({ path: line.path, error: line.error });
        await out.write(line);
        bar.update(++finishedCount, failures.length ? `(${failures.length} failed)` : '');
      }
    };
    await Promise.all(Array.from({ length: Math.min(o.window, todo.length) }, lane));
  } catch (err) {
    say(`caption: ${out.failed ? `cannot write the output: ${out.failed.message}` : `redis ${o.redisUrl.replace(/\/\/[^@/]*@/, '//***@')}: ${(err as Error).message}`}`);
    return 1;
  } finally {
    await out.close();
    await store.close();
  }
  const secs = (performance.now() - started) / 1000;
  return summarize(say, `captioned ${finishedCount - failures.length} of ${todo.length} image(s) via ${o.queue} on Redis` +
    `${skipped ? ` (${skipped} skipped: already done)` : ''}, ${failures.length} failed, ${(todo.length / Math.max(secs, 1e-9)).toFixed(2)} images/s` +
    (jsonl ? ` -> ${jsonl}` : ''), failures);
}
