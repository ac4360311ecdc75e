// Inference in worker threads (WorkerCaptioner): the HTTP thread stays responsive during a slow
// caption, typed errors survive the thread boundary, a crashed or runaway worker fails only its
// own job (503) and is restarted, MAX_CONCURRENT workers run side by side, tensor counts are
// reported and do not grow.
import http from 'node:http';
import t from 'tap';
import { parsePlan } from '../../src/service/options.ts';
import { ImageTooLargeError, UnsupportedImageError } from '../../src/encoder/errors.ts';
import { ModelUnavailableError } from '../../src/service/errors.ts';
import { WorkerCaptioner } from '../../src/engine/pool.ts';
import { httpRequest, imageForm, jpeg, listeningWorkerApp, pngBomb, skipWithoutModel, startWorkerCaptioner, WORDY } from '../helpers/server.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const opts = parsePlan;
/** Jobs that take seconds: the random 2000-word decoder (slow models dir) on tfjs-wasm. */
const SLOW = { DECODER_RUNTIME: 'tfjs' };

t.test('WorkerCaptioner', { skip: skipWithoutModel }, async (t) => {
  const { captioner: wc, executors, dispose } = await startWorkerCaptioner({ maxPixels: 4_000_000 });
  t.teardown(dispose);
  const photo = await jpeg(320, 240);
  const size = wc.info().encoder.inputSize; // the shipped models' input (448 for the 14×14 grid)

  t.test('prepared images in, moved (not copied) to the worker: their own objects come back with the results', async (t) => {
    const p = await wc.prepare(photo);
    t.equal(p.tensor.length, 3 * size * size);
    t.equal(p.pixels, undefined, 'captions keep no RGB copy');
    const [a, b] = await wc.caption([p, p], opts({ ...WORDY }));
    t.equal(a.prepared, p);
    t.equal(b.prepared, p);
    t.same(a.result.image, { width: 320, height: 240, format: 'jpeg' });
    t.ok(a.hypothesis.words.length >= 1);
    t.same(b.result.image, a.result.image, 'one image twice in a request: one transfer serves both');
    t.equal(p.tensor.length, 0, 'the tensor was transferred: this thread holds no copy');
    const [again] = await wc.caption([await wc.prepare(photo)], opts({ ...WORDY }));
    t.equal(again.result.caption, a.result.caption, 'prepared again: the same caption');
  });

  t.test('errors keep their type: the upload\'s on this thread, the worker\'s across the boundary', async (t) => {
    await t.rejects(wc.prepare(Buffer.from('not an image')), UnsupportedImageError);
    await t.rejects(wc.prepare(pngBomb(4000, 4000)), ImageTooLargeError);
    if (!wc.has('hard')) {
      const err = await wc.caption([await wc.prepare(photo)], opts({ attention: 'hard' })).catch((e) => e);
      t.ok(err instanceof ModelUnavailableError, 'ModelUnavailableError (its name is plain "Error", so checked with instanceof)');
    }
  });

  t.test('overlay rendered in the worker', async (t) => {
    const p = await wc.prepare(photo, { pixels: true });
    const out = await wc.overlay(p, opts({ ...WORDY }), { format: 'png', panelSize: 64, style: 'spotlight' });
    t.ok(Buffer.isBuffer(out.image));
    t.same([...out.image.subarray(1, 4)], [...Buffer.from('PNG')]);
    t.ok(out.words >= 1);
  });

  t.test('tensor count is reported and stays flat over repeated jobs', async (t) => {
    const prepared = () => wc.prepare(photo, { pixels: true });
    await wc.caption([await prepared()], opts());
    const before = wc.workerStats()[0].numTensors;
    if (wc.info().runtime === 'tfjs') t.ok(before > 0, `the model's weights are tensors (${before})`);
    else t.equal(before, 0, 'the ort decoder uses no tfjs tensors at all');
    for (let i = 0; i < 4; i++) await wc.caption([await prepared()], opts({ beamSize: i + 1 }));
    await wc.overlay(await prepared(), opts(), { format: 'jpeg', panelSize: 32, style: 'heatmap' });
    t.equal(wc.workerStats()[0].numTensors, before, 'no leaked tensors');
  });

  for (const how of ['throw', 'exit'] as const) {
    t.test(`a worker that dies (${how}) while idle is restarted`, async (t) => {
      const restarts = wc.workerStats()[0].restarts;
      executors[0].crash(how);
      const t0 = Date.now();
      while (wc.workerStats()[0].restarts === restarts && Date.now() - t0 < 5000) await sleep(20);
      t.equal(wc.workerStats()[0].restarts, restarts + 1);
      const [c] = await wc.caption([await wc.prepare(photo)], opts({ ...WORDY }));
      t.ok(c.result.caption.length > 0, 'serves again');
      t.equal(wc.workerStats()[0].state, 'idle');
    });
  }
});

t.test('a worker that fails to load rejects start() with the original error type', { skip: skipWithoutModel }, async (t) => {
  const err = await WorkerCaptioner.start({ modelsDir: '/nonexistent-models', allowDownload: false }).catch((e) => e);
  t.equal(err?.name, 'EncoderFileError');
  t.match(err.message, /mobilenetv2/);
});

t.test('HTTP thread stays responsive while a slow caption runs (beamSize 10, several images)', { skip: skipWithoutModel }, async (t) => {
  // A random decoder with a 2000-word vocabulary: <end> is rarely picked, so beam search runs to
  // maxLength for every beam: seconds of synchronous tfjs work, in the worker (ort is too fast for this).
  const srv = await listeningWorkerApp(SLOW, {}, true);
  t.teardown(srv.close);
  const images = await Promise.all([jpeg(640, 480), jpeg(320, 240), jpeg(500, 500)]);
  const form = await imageForm(images, { beamSize: '10', nBest: '3', maxLength: '20' });
  const t0 = Date.now();
  let finished = 0;
  const caption = httpRequest(srv.base, '/v1/captions', form).then((r) => { finished = Date.now(); return r; });
  // Event-loop lag as seen by a timer on this (the server's) thread.
  let lag = 0;
  let last = Date.now();
  const ticker = setInterval(() => { const now = Date.now(); lag = Math.max(lag, now - last - 20); last = now; }, 20);
  const latencies: number[] = [];
  await sleep(150);
  while (!finished) {
    const t1 = Date.now();
    const h = await httpRequest(srv.base, '/healthz', null);
    if (!finished) latencies.push(Date.now() - t1);
    t.equal(h.status, 200);
    await sleep(50);
  }
  clearInterval(ticker);
  const res = await caption;
  t.equal(res.status, 200);
  const took = finished - t0;
  t.comment(`caption took ${took} ms; /healthz answered ${latencies.length} times meanwhile, max ${Math.max(...latencies)} ms; max event-loop lag ${lag} ms (training may be running)`);
  t.ok(took > 1000, `the caption was really slow (${took} ms)`);
  t.ok(latencies.length >= 5, `/healthz answered ${latencies.length} times during the caption`);
  t.ok(Math.max(...latencies) < 500, `every /healthz answered within 500 ms (max ${Math.max(...latencies)})`);
  t.ok(lag < 500, `event loop never blocked for 500 ms (max lag ${lag} ms)`);
  const { results } = JSON.parse(res.body);
  t.equal(results.length, 3);
  t.equal(results[0].tokens.length, 20, 'ran to maxLength');
});

t.test('crash mid-request → 503 for that request only, the worker restarts, the next succeeds', { skip: skipWithoutModel }, async (t) => {
  const srv = await listeningWorkerApp(SLOW, {}, true);
  t.teardown(srv.close);
  const form = await imageForm([await jpeg(320, 240), await jpeg(200, 200)], { beamSize: '10', maxLength: '30' });
  const inFlight = httpRequest(srv.base, '/v1/captions', form);
  while (srv.captioner.queue.stats().running === 0) await sleep(10);
  await sleep(300); // inside the worker now
  srv.executors[0].crash('kill');
  const res = await inFlight;
  t.equal(res.status, 503);
  t.equal(JSON.parse(res.body).error, 'worker_crashed');
  t.ok(Number(res.headers['retry-after']) >= 1, 'Retry-After');
  t.equal((await httpRequest(srv.base, '/healthz', null)).status, 200, 'server alive');
  t.same(srv.captioner.queue.stats().running, 0, 'queue slot released');
  const ok = await httpRequest(srv.base, '/v1/captions', await imageForm([await jpeg()], { beamSize: '1', maxLength: '3' }));
  t.equal(ok.status, 200, 'next request served by the restarted worker');
  const ready = JSON.parse((await httpRequest(srv.base, '/readyz', null)).body);
  t.equal(ready.workers[0].restarts, 1);
  const metrics = (await httpRequest(srv.base, '/metrics', null)).body;
  t.match(metrics, /inference_worker_restarts\{worker="0"\} 1/);
});

t.test('a job past its deadline gets its worker restarted → 503 timeout', { skip: skipWithoutModel }, async (t) => {
  // 1 s: far below the slow job (4 images, beam 10, 40 words on tfjs: several seconds), and enough
  // for a tiny job on a freshly restarted (cold) worker even when the machine is loaded.
  const srv = await listeningWorkerApp(SLOW, { jobTimeoutMs: 1000 }, true);
  t.teardown(srv.close);
  const slow = await Promise.all([jpeg(320, 240), jpeg(300, 300), jpeg(280, 200), jpeg(240, 320)]);
  const res = await httpRequest(srv.base, '/v1/captions', await imageForm(slow, { beamSize: '10', maxLength: '40', nBest: '1' }));
  t.equal(res.status, 503);
  t.equal(JSON.parse(res.body).error, 'timeout');
  t.match(JSON.parse(res.body).message, /1000 ms/);
  // The restarted worker serves again. A loaded machine (e.g. training in the background) can make
  // even a tiny job exceed the deadline, so allow a few attempts.
  let status = 0;
  for (let attempt = 0; attempt < 5 && status !== 200; attempt++) {
    const ok = await httpRequest(srv.base, '/v1/captions', await imageForm([await jpeg()], { beamSize: '1', maxLength: '2' }));
    status = ok.status;
    if (status !== 200) t.equal(JSON.parse(ok.body).error, 'timeout', 'only the deadline can refuse it');
  }
  t.equal(status, 200, 'served again after the restart');
});

t.test('MAX_CONCURRENT=2: two workers caption at the same time; /readyz and /metrics show both', { skip: skipWithoutModel }, async (t) => {
  // MAX_BATCH=1: the two requests would otherwise share one batch on one worker.
  const srv = await listeningWorkerApp({ ...SLOW, MAX_CONCURRENT: '2', MAX_BATCH: '1' }, {}, true);
  t.teardown(srv.close);
  t.equal(srv.captioner.workerStats().length, 2);
  const form = await imageForm([await jpeg(320, 240)], { beamSize: '10', maxLength: '20' });
  const both = Promise.all([httpRequest(srv.base, '/v1/captions', form), httpRequest(srv.base, '/v1/captions', form)]);
  let sawTwo = false;
  for (let i = 0; i < 200 && !sawTwo; i++) {
    sawTwo = srv.captioner.workerStats().every((s) => s.state === 'busy');
    await sleep(10);
  }
  t.ok(sawTwo, 'both workers busy at once');
  t.same((await both).map((r) => r.status), [200, 200]);
  const ready = JSON.parse((await httpRequest(srv.base, '/readyz', null)).body);
  t.equal(ready.workers.length, 2);
  t.same(ready.workers.map((w: { jobs: number }) => w.jobs), [1, 1], 'one job each');
  for (const w of ready.workers) t.ok(w.numTensors >= 0 && w.heapUsed > 0);
  const metrics = (await httpRequest(srv.base, '/metrics', null)).body;
  t.match(metrics, /inference_worker_tensors\{worker="0"\} \d+/);
  t.match(metrics, /inference_worker_tensors\{worker="1"\} \d+/);
  t.match(metrics, /inference_worker_up\{worker="1"\} 1/);
});

t.test('SIGTERM-style close: in-flight request completes before the workers stop', { skip: skipWithoutModel }, async (t) => {
  const srv = await listeningWorkerApp();
  const agent = new http.Agent({ keepAlive: false });
  t.teardown(() => agent.destroy());
  const inFlight = httpRequest(srv.base, '/v1/captions', await imageForm([await jpeg()], WORDY), agent);
  while (srv.captioner.queue.stats().running === 0) await sleep(5);
  srv.beginShutdown();
  const closing = srv.close();
  t.equal((await inFlight).status, 200);
  await closing;
});
