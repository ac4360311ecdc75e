// 500 jobs through 2 worker processes with `caption --redis`: nothing lost, nothing duplicated;
// a rerun skips what is done and takes finished jobs' results from Redis instead of redoing them.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import sharp from 'sharp';
import t from 'tap';
import { runCaption } from '../../src/cli/caption.ts';
import { skipWithoutModel } from '../helpers/server.ts';
import { jobsFixture, skipWithoutRedis } from '../helpers/redis.ts';
import { completedJobs, spawnWorker } from '../helpers/job-workers.ts';

const N = 500;

function collector(): Writable & { text: () => string } {
  let text = '';
  const w = new Writable({ write(chunk, _enc, cb) { text += chunk; cb(); } });
  return Object.assign(w, { text: () => text });
}

t.test(`${N} jobs through 2 workers`, { skip: skipWithoutModel || skipWithoutRedis() }, async (t) => {
  const { redisServer, redis, models } = await jobsFixture(t);
  const root = mkdtempSync(join(tmpdir(), 'sat-many-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));

  // N distinct small images (distinct bytes → distinct job ids), one of them not an image.
  const dir = join(root, 'photos');
  mkdirSync(join(dir, 'sub'), { recursive: true });
  const names: string[] = [];
  for (let i = 0; i < N - 1; i++) {
    const name = `${i % 2 ? 'sub/' : ''}img${String(i).padStart(3, '0')}.png`;
    const png = await sharp({ create: { width: 32, height: 24, channels: 3, background: { r: i & 255, g: (i >> 8) * 100, b: 50 } } }).png().toBuffer();
    writeFileSync(join(dir, name), png);
    names.push(join(dir, name));
  }
  writeFileSync(join(dir, 'broken.jpg'), 'not a jpeg at all');
  names.push(join(dir, 'broken.jpg'));

  const workers = [spawnWorker(redisServer.url, models.dir), spawnWorker(redisServer.url, models.dir)];
  for (const w of workers) t.teardown(() => w.stop());
  await Promise.all(workers.map((w) => w.ready));

  const out = join(root, 'out');
  const caption = async () => {
    const stdout = collector();
    const stderr = collector();
    const code = await runCaption([dir], { redis: redisServer.url, out, beamSize: 1, maxLength: 5, window: 32 }, { stdout, stderr, env: {} });
    const lines = readFileSync(join(out, 'captions.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { path: string; caption?: string; error?: string; errorType?: string });
    return { code, stderr: stderr.text(), lines };
  };
  const events = async () => (await redis.xrange('bull:captions:events', '-', '+')).map(([, kv]) => Object.fromEntries(Array.from({ length: kv.length / 2 }, (_, i) => [kv[2 * i], kv[2 * i + 1]])));

  const first = await caption();
  t.comment(first.stderr.trim().split('\n').find((l) => l.startsWith('captioned ')) ?? ''); // throughput, for the record
  t.equal(first.code, 1, 'exit 1: one image failed');
  t.equal(first.lines.length, N, `${N} JSONL lines`);
  t.same(first.lines.map((l) => l.path).sort(), [...names].sort(), 'every file exactly once');
  const bad = first.lines.filter((l) => l.error);
  t.equal(bad.length, 1);
  t.equal(bad[0].path, join(dir, 'broken.jpg'));
  t.equal(bad[0].errorType, 'unsupported_image');
  t.match(bad[0].error, /cannot decode image/);
  t.ok(first.lines.filter((l) => l.caption !== undefined).every((l) => typeof l.caption === 'string' && l.caption.length > 0), 'captions');
  t.match(first.stderr, new RegExp(`caption \\[#+\\] 100% ${N}/${N} images`), 'progress bar');
  t.match(first.stderr, new RegExp(`captioned ${N - 1} of ${N} image\\(s\\)`));

  const done = [...completedJobs(workers[0].log()), ...completedJobs(workers[1].log())];
  t.equal(done.length, N - 1, 'the workers finished N-1 jobs');
  t.equal(new Set(done).size, N - 1, 'none twice');
  t.ok(completedJobs(workers[0].log()).length > 0 && completedJobs(workers[1].log()).length > 0, `both workers took jobs (${completedJobs(workers[0].log()).length} + ${completedJobs(workers[1].log()).length})`);
  const ev = await events();
  const completed = ev.filter((e) => e.event === 'completed').map((e) => e.jobId);
  t.equal(completed.length, N - 1, 'BullMQ: N-1 completed events');
  t.equal(new Set(completed).size, N - 1, 'for N-1 distinct jobs');
  t.equal(ev.filter((e) => e.event === 'failed').length, 1, 'one failed');
  t.equal(ev.filter((e) => e.event === 'stalled').length, 0, 'none stalled');
  t.equal(workers.every((w) => w.proc.exitCode === null), true, 'both workers alive');

  // Rerun: done images are skipped; the broken one is tried again (and fails again).
  const second = await caption();
  t.match(second.stderr, new RegExp(`${N - 1} image\\(s\\) already in .*captions.jsonl: skipped`));
  t.equal(second.lines.length, N, 'still one line per file (the old error line was replaced)');
  t.same(second.lines.map((l) => l.path).sort(), [...names].sort());

  // An interrupted run: some lines never written. Their jobs finished in Redis, so the rerun
  // takes those results as they are instead of captioning again.
  const kept = second.lines.filter((l, i) => l.error || i % 50 !== 7);
  const dropped = second.lines.filter((l, i) => !l.error && i % 50 === 7);
  writeFileSync(join(out, 'captions.jsonl'), kept.map((l) => JSON.stringify(l) + '\n').join('') + '{"path":"torn li');
  const third = await caption();
  t.equal(third.lines.length, N, 'torn line dropped, the missing lines back');
  for (const d of dropped) t.same(third.lines.find((l) => l.path === d.path), d, `${d.path}: the same line as before`);
  const completedAfter = (await events()).filter((e) => e.event === 'completed').length;
  t.equal(completedAfter, N - 1, 'no job ran again');
});
