import t from 'tap';
import { InferenceQueue, QueueFullError } from '../../src/server/queue.ts';

/** A job the test finishes by hand. */
function gate() {
  let open!: () => void;
  const done = new Promise<void>((r) => { open = r; });
  return { open, done };
}
const tick = () => new Promise((r) => setImmediate(r));

t.test('runs at most `capacity` jobs at once, in FIFO order', async (t) => {
  const q = new InferenceQueue(2, 10);
  const gates = [gate(), gate(), gate(), gate()];
  const started: number[] = [];
  const runs = gates.map((g, i) => q.run(async () => { started.push(i); await g.done; return i; }));
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
  const q = new InferenceQueue(1, 1);
  const g = gate();
  const a = q.run(() => g.done);
  const b = q.run(() => g.done);
  t.equal(q.full, true);
  const err = await q.run(async () => 1).catch((e) => e);
  t.ok(err instanceof QueueFullError);
  t.ok(err.retryAfterSeconds >= 1);
  g.open();
  await Promise.all([a, b]);
  t.equal(q.full, false);
  t.equal(await q.run(async () => 7), 7);
});

t.test('maxQueue 0: only the running job', async (t) => {
  const q = new InferenceQueue(1, 0);
  const g = gate();
  const a = q.run(() => g.done);
  await t.rejects(q.run(async () => 1), QueueFullError);
  g.open();
  await a;
});

t.test('a failing job frees its slot and reports its error', async (t) => {
  const q = new InferenceQueue(1, 0);
  await t.rejects(q.run(async () => { throw new Error('boom'); }), /boom/);
  await t.rejects(q.run(() => { throw new Error('sync boom'); }), /sync boom/);
  t.equal(await q.run(async () => 'ok'), 'ok');
  t.same(q.completed, { ok: 1, failed: 2 });
});

t.test('abort while waiting drops the job; abort while running releases the caller only', async (t) => {
  const q = new InferenceQueue(1, 5);
  const g = gate();
  let ranSecond = false;
  const first = q.run(() => g.done.then(() => 'first'));
  const ac = new AbortController();
  const second = q.run(async () => { ranSecond = true; }, ac.signal);
  ac.abort(new Error('gone'));
  await t.rejects(second, /gone/);
  t.equal(q.stats().waiting, 0);

  const ac2 = new AbortController();
  const running = new InferenceQueue(1, 5);
  const g2 = gate();
  const p = running.run(() => g2.done, ac2.signal);
  await tick();
  ac2.abort(new Error('timeout'));
  await t.rejects(p, /timeout/);
  t.equal(running.stats().running, 1, 'slot held until the work really ends');
  g2.open();
  await g2.done;
  await tick();
  t.equal(running.stats().running, 0);

  g.open();
  t.equal(await first, 'first');
  t.equal(ranSecond, false);
  await t.rejects(q.run(async () => 1, AbortSignal.abort(new Error('already'))), /already/);
});
