// The engine on the calling thread (LocalEngine: the in-thread executor) takes batches from the
// same line as the worker pool. Concurrent requests with one search are decoded together and each
// gets its lone answer; a caller that leaves while waiting is dropped; a full line refuses;
// dispose fails the waiting.
import t from 'tap';
import { Engine } from '../../src/engine/engine.ts';
import { QueueFullError, WorkerCrashedError } from '../../src/service/errors.ts';
import { InThreadExecutor, LocalEngine } from '../../src/engine/local.ts';
import { parsePlan } from '../../src/service/options.ts';
import { TestExecutor } from '../helpers/executors.ts';
import { sceneImage } from '../helpers/scenes.ts';
import { sharedCaptioner, skipWithoutModel } from '../helpers/server.ts';

const opts = (o: Record<string, unknown> = {}) => parsePlan({ includeMaps: false, ...o });

t.test('LocalEngine', { skip: skipWithoutModel }, async (t) => {
  const captioner = await sharedCaptioner();
  // In-thread, a caption reads the images' pixels where they are: they can be used again.
  const images = await Promise.all([1, 2, 3].map(async (i) => captioner.prepare(await sceneImage(300 + i), { pixels: true })));

  t.test('concurrent requests with one search share a batch; each gets its lone caption', async (t) => {
    const engine = new LocalEngine(captioner, { maxBatch: 8 });
    const alone = [];
    for (const im of images) alone.push((await engine.caption([im], opts({ beamSize: 2 })))[0].result);
    t.same(alone.map((r) => r.timings.batchImages), [1, 1, 1]);
    const words: string[][] = [[], [], []];
    const together = await Promise.all(images.map((im, i) => engine.caption([im], opts({ beamSize: 2 }), { onWord: (_image, tok) => words[i].push(tok.word) })));
    t.same(together.map(([c]) => c.result.timings.batchImages), [3, 3, 3], 'one batch of three');
    t.same(together.map(([c]) => c.result.caption), alone.map((r) => r.caption), 'the captions they get alone');
    t.same(words, together.map(([c]) => c.result.tokens.map((tok) => tok.word)), 'each request streams its own words');
    t.same(engine.queue.completed, { ok: 6, failed: 0 });
    t.equal(engine.workerStats()[0].state, 'in-process');
  });

  t.test('overlays run alone; a different search waits for the next batch', async (t) => {
    const engine = new LocalEngine(captioner, { maxBatch: 8 });
    const [a, b, sheet] = await Promise.all([
      engine.caption([images[0]], opts({ beamSize: 1 })),
      engine.caption([images[1]], opts({ beamSize: 3 })),
      engine.overlay(images[2], opts(), { format: 'png', panelSize: 48, style: 'heatmap' }),
    ]);
    t.equal(a[0].result.timings.batchImages, 1);
    t.equal(b[0].result.timings.batchImages, 1);
    t.ok(sheet.image.subarray(1, 4).equals(Buffer.from('PNG')), 'a PNG sheet');
  });

  t.test('a full line refuses; a caller that leaves is dropped; dispose fails the waiting', async (t) => {
    const held = new TestExecutor(new InThreadExecutor(captioner));
    const engine = new Engine([held], captioner.info(), { maxBatch: 1, maxQueue: 1 });
    const release = held.hold();
    const running = engine.caption([images[2]], opts()); // takes the one running slot, held
    await new Promise((r) => setImmediate(r));
    const ac = new AbortController();
    const left = engine.caption([images[0]], opts(), { signal: ac.signal });
    t.same(engine.queue.stats(), { running: 1, waiting: 1, capacity: 1, maxQueue: 1 });
    await t.rejects(engine.caption([images[1]], opts()), QueueFullError, 'running + waiting = capacity + maxQueue');
    ac.abort(new Error('client left'));
    await t.rejects(left, /client left/);
    t.equal(engine.queue.stats().waiting, 0, 'dropped from the line');
    const waiting = engine.caption([images[1]], opts());
    await engine.dispose();
    await t.rejects(waiting, WorkerCrashedError);
    release();
    t.ok((await running)[0].result.caption, 'the running job finishes');
    await t.rejects(engine.caption([images[1]], opts()), WorkerCrashedError, 'refuses after dispose');
  });
});
