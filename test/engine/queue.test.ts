import t from 'tap';
import { QueueFullError } from '../../src/service/errors.ts';
import { JobQueue } from '../../src/engine/queue.ts';

/** A job the test finishes by hand. */
function gate() {
  let open!: () => void;
  const done = new Promise<void>((r) => { open = r; });
  return { open, done };
}
const tick = () => new Promise((r) => setImmediate(r));

interface FnJob { key?: string; size: number; fn: () => unknown }

/**
 * The line with `capacity` executors that each run one job's own fn: what the engines do, minus
 * the model (LocalEngine has one lane taking batches, the pool one per worker).
 */
function lanes(capacity: number, maxQueue: number) {
  let idle = capacity;
  const q: JobQueue<FnJob, unknown> = new JobQueue(capacity, maxQueue, () => pump());
  function pump() {
    while (idle > 0) {
      const [ticket] = q.take(1);
      if (!ticket) return;
      idle--;
      Promise.resolve().then(ticket.job.fn).then(ticket.resolve, ticket.reject).finally(() => { idle++; pump(); });
    }
  }
  const run = <T>(fn: () => T | Promise<T>, signal?: AbortSignal) => {
    const answer = q.add({ size: 1, fn }, signal) as Promise<T>;
    pump();
    return answer;
  };
  return { q, run };
}

t.test('runs at most `capacity` jobs at once, in FIFO order', async (t) => {
  const { q, run } = lanes(2, 10);
  const gates = [gate(), gate(), gate(), gate()];
  const started: number[] = [];
  const runs = gates.map((g, i) => run(async () => { started.push(i); await g.done; return i; }));
  await tick();
  t.same(started, [0, 1]);
  t.same(q.stats(), { running: 2, waiting: 2, capacity: 2, maxQueue: 10 });
  gates[1].open();
  await runs[1];
  await tick();
  t.same(started, [0, 1, 2]);
  gates.forEach((g) => g.open());
  t.same(await Promise.all(runs), [0, 1, 2, 3]);
  t.same(q.stats(), { running: 0, waiting: 0, capacity: 2, maxQueue: 10 });
  t.same(q.completed, { ok: 4, failed: 0 });
});

t.test('refuses beyond maxQueue waiting with a Retry-After estimate', async (t) => {
  const { q, run } = lanes(1, 1);
  const g = gate();
  const a = run(() => g.done);
  const b = run(() => g.done);
  t.equal(q.full, true);
  t.throws(() => q.admit(), QueueFullError, 'admit() says so before any work');
  const err = await run(async () => 1).catch((e: unknown) => e);
  t.ok(err instanceof QueueFullError);
  t.ok((err as QueueFullError).retryAfterSeconds >= 1);
  g.open();
  await Promise.all([a, b]);
  t.equal(q.full, false);
  t.doesNotThrow(() => q.admit());
  t.equal(await run(async () => 7), 7);
});

t.test('maxQueue 0: only the running job', async (t) => {
  const { run } = lanes(1, 0);
  const g = gate();
  const a = run(() => g.done);
  await t.rejects(run(async () => 1), QueueFullError);
  g.open();
  await a;
});

t.test('a failing job frees its slot and reports its error', async (t) => {
  const { q, run } = lanes(1, 0);
  await t.rejects(run(async () => { throw new Error('boom'); }), /boom/);
  await t.rejects(run(() => { throw new Error('sync boom'); }), /sync boom/);
  t.equal(await run(async () => 'ok'), 'ok');
  t.same(q.completed, { ok: 1, failed: 2 });
});

t.test('abort while waiting drops the job; abort while running releases the caller only', async (t) => {
  const { q, run } = lanes(1, 5);
  const g = gate();
  let ranSecond = false;
  const first = run(() => g.done.then(() => 'first'));
  const ac = new AbortController();
  const second = run(async () => { ranSecond = true; }, ac.signal);
  ac.abort(new Error('gone'));
  await t.rejects(second, /gone/);
  t.equal(q.stats().waiting, 0);

  const ac2 = new AbortController();
  const running = lanes(1, 5);
  const g2 = gate();
  const p = running.run(() => g2.done, ac2.signal);
  await tick();
  ac2.abort(new Error('timeout'));
  await t.rejects(p, /timeout/);
  t.equal(running.q.stats().running, 1, 'slot held until the work really ends');
  g2.open();
  await g2.done;
  await tick();
  t.equal(running.q.stats().running, 0);

  g.open();
  t.equal(await first, 'first');
  t.equal(ranSecond, false);
  await t.rejects(run(async () => 1, AbortSignal.abort(new Error('already'))), /already/);
});

t.test('take: the first job plus later ones with its key, up to maxSize, in line order', async (t) => {
  const q = new JobQueue<FnJob, string>(8, 8);
  const add = (key: string | undefined, size: number) => q.add({ key, size, fn: () => {} });
  const answers = [add('a', 2), add('b', 1), add(undefined, 1), add('a', 3), add('a', 2), add('a', 1)];
  const first = q.take(6);
  t.same(first.map((x) => [x.job.key, x.job.size]), [['a', 2], ['a', 3], ['a', 1]], 'a+a+a fit in 6; the size-2 one behind would not');
  t.same(q.stats(), { running: 3, waiting: 3, capacity: 8, maxQueue: 8 });
  t.same(q.take(6).map((x) => x.job.key), ['b'], 'then the front of the line, alone in its key');
  t.same(q.take(6).map((x) => x.job.key), [undefined], 'a job without a key runs alone');
  const last = q.take(6);
  t.same(last.map((x) => [x.job.key, x.job.size]), [['a', 2]]);
  t.same(q.take(6), [], 'nothing left');
  first.forEach((x, i) => x.resolve(`first ${i}`));
  t.equal(await answers[0], 'first 0');
  t.equal(await answers[5], 'first 2', 'each caller gets its own answer');
});

t.test('take stops at capacity; a settled job frees its slot once; clear() fails the waiting', async (t) => {
  let freed = 0;
  const q = new JobQueue<FnJob, string>(2, 4, () => { freed++; });
  const answers = [0, 1, 2].map(() => q.add({ key: 'k', size: 1, fn: () => {} }));
  const taken = q.take(8);
  t.equal(taken.length, 2, 'a batch never takes more than capacity');
  t.same(q.take(8), [], 'all slots running');
  taken[0].resolve('x');
  taken[0].reject(new Error('late'));
  t.equal(await answers[0], 'x', 'a ticket settles once');
  t.equal(freed, 1, 'frees once');
  t.equal(q.take(8).length, 1, 'the freed slot takes the next job');
  t.same(q.take(8), [], 'all slots running again');
  const waiting = q.add({ size: 1, fn: () => {} });
  q.clear(new Error('shutting down'));
  await t.rejects(waiting, /shutting down/);
  t.equal(q.stats().waiting, 0);
  taken[1].resolve('y');
  t.equal(await answers[1], 'y');
  t.throws(() => new JobQueue(0, 1), RangeError);
  t.throws(() => new JobQueue(1, -1), RangeError);
});
