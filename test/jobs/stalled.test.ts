// A worker killed mid-job loses nothing: BullMQ's stalled-job check gives the job to another
// worker, which completes it exactly once. Real redis-server, real worker processes, SIGKILL.
import { Redis } from 'ioredis';
import t from 'tap';
import { JobStore } from '../../src/jobs/store.ts';
import { CaptionOptionsSchema } from '../../src/service/schemas.ts';
import { jpeg, makeSlowModelsDir, png, skipWithoutModel } from '../helpers/server.ts';
import { skipWithoutRedis, startRedis } from '../helpers/redis.ts';
import { completedJobs, spawnWorker } from '../helpers/job-workers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('kill a worker mid-job → the job still completes, once', { skip: skipWithoutModel || skipWithoutRedis() }, async (t) => {
  const redisServer = await startRedis();
  t.teardown(() => redisServer.stop());
  const redis = new Redis(redisServer.url);
  t.teardown(() => redis.disconnect());
  // A random decoder with a 2000-word vocabulary rarely ends a caption: beam search runs to
  // maxLength, so the job is reliably still running when the worker is killed.
  const models = await makeSlowModelsDir();
  t.teardown(models.cleanup);
  const store = new JobStore({ redisUrl: redisServer.url, queue: 'captions', ttlSeconds: 3600, attempts: 1 });
  t.teardown(() => store.close());
  // Short locks so the test does not wait 30 s for the dead worker's lock to lapse.
  const fast = ['--lock-ms', '2000', '--stalled-ms', '500', '--max-stalled', '1'];

  const a = spawnWorker(redisServer.url, models.dir, fast);
  t.teardown(() => a.stop());
  await a.ready;
  const options = CaptionOptionsSchema.parse({ beamSize: 10, nBest: 2, maxLength: 50, includeMaps: false });
  const { id } = await store.enqueue([{ filename: 'a.jpg', data: await jpeg(120, 90) }, { filename: 'b.png', data: await png(80, 80) }], options, null);

  let seen = '';
  for (let i = 0; i < 600 && seen !== 'captioning'; i++) {
    const s = await store.status(id);
    seen = s.state === 'active' ? s.progress?.stage ?? '' : s.state;
    if (seen === 'completed') break;
    if (seen !== 'captioning') await sleep(50);
  }
  t.equal(seen, 'captioning', 'worker A is captioning the job');
  a.proc.kill('SIGKILL');
  await new Promise((r) => a.proc.once('exit', r));
  t.equal(a.proc.signalCode, 'SIGKILL', 'worker A is dead (mid-job)');

  const b = spawnWorker(redisServer.url, models.dir, fast);
  t.teardown(() => b.stop());
  await b.ready;
  let state = '';
  for (let i = 0; i < 1200 && !['completed', 'failed'].includes(state); i++) {
    state = (await store.status(id)).state;
    if (state !== 'completed') await sleep(100);
  }
  const done = await store.status(id);
  t.equal(done.state, 'completed', done.error ? JSON.stringify(done.error) : 'completed by B');
  t.equal(done.results?.length, 2, 'both images captioned');
  t.equal(done.attempts, 2, 'started twice: by A (killed) and by B');

  // BullMQ's event stream: the job stalled once and completed once.
  const events = (await redis.xrange('bull:captions:events', '-', '+')).map(([, kv]) => Object.fromEntries(Array.from({ length: kv.length / 2 }, (_, i) => [kv[2 * i], kv[2 * i + 1]])));
  const mine = events.filter((e) => e.jobId === id);
  t.equal(mine.filter((e) => e.event === 'stalled').length, 1, 'stalled once');
  t.equal(mine.filter((e) => e.event === 'completed').length, 1, 'completed once');
  t.same(completedJobs(a.log()), [], 'A finished nothing');
  t.same(completedJobs(b.log()), [id], 'B finished it, once');
  t.equal(await b.stop(), 0, 'B stops cleanly');
});
