// Batching across requests: concurrent caption requests whose search options match are decoded
// together (one worker job, beams of every image in the same decoder steps) and each gets
// exactly what it gets alone, in its own order; requests that cannot share a batch are grouped.
import t from 'tap';
import { parsePlan } from '../../src/service/options.ts';
import type { CaptionResult, DecodingPlan } from '../../src/service/schemas.ts';
import { sceneImage } from '../helpers/scenes.ts';
import { httpRequest, imageForm, listeningWorkerApp, skipWithoutModel, startWorkerCaptioner } from '../helpers/server.ts';

const opts = parsePlan;

/** A result without what legitimately differs between a batched and a lone run. */
const answer = ({ timings: _t, ...rest }: CaptionResult) => rest;

/**
 * Where two answers differ: any string, key, length or order difference, or a number off by more
 * than `tol`. Float32 matrix kernels sum in another order for another number of rows, so the
 * numbers of a batched run agree with a lone run to ~1e-7, not bit for bit.
 */
function differences(a: unknown, b: unknown, tol = 1e-5, path = '$'): string[] {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= tol ? [] : [`${path}: ${a} vs ${b}`];
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return [`${path}: length ${a.length} vs ${b.length}`];
    return a.flatMap((x, i) => differences(x, b[i], tol, `${path}[${i}]`));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).sort(), kb = Object.keys(b).sort();
    if (ka.join() !== kb.join()) return [`${path}: keys ${ka} vs ${kb}`];
    return ka.flatMap((k) => differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], tol, `${path}.${k}`));
  }
  return a === b ? [] : [`${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`];
}

t.test('WorkerCaptioner batches concurrent requests; results identical to unbatched', { skip: skipWithoutModel }, async (t) => {
  // One worker and a long window: everything submitted together lands in one batch.
  const { captioner: wc, dispose } = await startWorkerCaptioner({ workers: 1, maxBatch: 8, batchWindowMs: 200 });
  t.teardown(dispose);
  const scenes = await Promise.all(Array.from({ length: 7 }, (_, i) => sceneImage(200 + i)));
  /** The requests with freshly prepared images (a caption moves its images' pixels to the worker). */
  const prepared = (spec: { images: number[]; o: DecodingPlan }[]) => Promise.all(spec.map(async (r) => ({ images: await Promise.all(r.images.map((i) => wc.prepare(scenes[i]))), o: r.o })));
  // Same search (beam 3, soft), different answer shapes: nBest, maps, tags; one request has two images.
  const requests = [
    { images: [0], o: opts({ beamSize: 3, nBest: 3 }) },
    { images: [1, 2], o: opts({ beamSize: 3, nBest: 1, includeMaps: false }) },
    { images: [3], o: opts({ beamSize: 3, nBest: 2, tags: true, mapDecimals: 2 }) },
    { images: [4], o: opts({ beamSize: 3 }) },
  ];
  const alone = [];
  for (const r of await prepared(requests)) alone.push(await wc.caption(r.images, r.o));
  t.same(alone.map((cs) => cs[0].result.timings.batchImages), [1, 2, 1, 1], 'alone: each request is its own batch');
  t.ok(alone.flat().every((c) => c.result.runtime === wc.info().runtime), 'results name the decoder runtime');
  const ready = await prepared(requests);
  const before = wc.batchStats();
  const together = await Promise.all(ready.map((r) => wc.caption(r.images, r.o)));
  const after = wc.batchStats();
  t.equal(after.requests - before.requests, 4, 'four requests');
  t.equal(after.jobs - before.jobs, 1, 'decoded as one worker job');
  t.equal(after.images - before.images, 5, 'with all five images');
  t.ok(together.flat().every((c) => c.result.timings.batchImages === 5), 'each result says it was decoded in a batch of 5');
  for (const [i, r] of requests.entries()) {
    t.equal(together[i].length, r.images.length, `request ${i}: one result per image`);
    t.same(differences(together[i].map((c) => answer(c.result)), alone[i].map((c) => answer(c.result))), [], `request ${i}: its unbatched answer (words, alternatives, order; numbers within 1e-5)`);
  }
  t.notOk(together[1][0].result.tokens.some((tok) => tok.attention), 'includeMaps=false still holds inside a batch');
  t.ok(together[0][0].result.tokens.every((tok) => tok.attention), 'maps for the request that asked');
  t.ok(together[2][0].result.tokens.every((tok) => tok.attention!.flat().every((v) => Math.round(v * 100) / 100 === v)), 'mapDecimals=2 applied');

  // Options that cannot share a search: grouped by them; sampling always alone.
  const mixed = [
    { images: [5], o: opts({ beamSize: 1 }) },
    { images: [6], o: opts({ beamSize: 3 }) },
    { images: [5], o: opts({ beamSize: 1, nBest: 1 }) },
    { images: [6], o: opts({ sample: true, seed: 11 }) },
    { images: [6], o: opts({ beamSize: 3, maxLength: 8 }) },
  ];
  const mixedAlone = [];
  for (const r of await prepared(mixed)) mixedAlone.push(await wc.caption(r.images, r.o));
  const mixedReady = await prepared(mixed);
  const m0 = wc.batchStats();
  const mixedTogether = await Promise.all(mixedReady.map((r) => wc.caption(r.images, r.o)));
  const m1 = wc.batchStats();
  t.equal(m1.jobs - m0.jobs, 4, 'greedy pair in one job; beam 3, sampling, beam 3 with maxLength 8 each on their own');
  for (const [i] of mixed.entries()) t.same(differences(mixedTogether[i].map((c) => answer(c.result)), mixedAlone[i].map((c) => answer(c.result))), [], `mixed request ${i}: its unbatched answer`);

  // Streamed words reach their own request: greedy (word by word) and beam (after the search).
  for (const beamSize of [1, 3]) {
    const streams: { image: number; word: string }[][] = [[], []];
    const [a, b] = await prepared([{ images: [0, 1], o: opts({ beamSize }) }, { images: [2], o: opts({ beamSize }) }]);
    const s0 = wc.batchStats();
    const [x, y] = await Promise.all([
      wc.caption(a.images, a.o, { onWord: (image, tok) => streams[0].push({ image, word: tok.word }) }),
      wc.caption(b.images, b.o, { onWord: (image, tok) => streams[1].push({ image, word: tok.word }) }),
    ]);
    t.equal(wc.batchStats().jobs - s0.jobs, 1, `beam ${beamSize}: one batch`);
    for (const [r, res] of [x, y].entries()) {
      for (const [image, c] of res.entries()) {
        t.same(streams[r].filter((w) => w.image === image).map((w) => w.word), c.result.tokens.map((tok) => tok.word), `beam ${beamSize}: request ${r} image ${image}: its own words, in order`);
      }
      t.ok(streams[r].every((w) => w.image < res.length), `beam ${beamSize}: request ${r}: image indexes are its own`);
    }
  }
});

t.test('through the HTTP server: concurrent requests batched, answers identical to one at a time', { skip: skipWithoutModel }, async (t) => {
  const srv = await listeningWorkerApp({ MAX_CONCURRENT: '1', MAX_BATCH: '8', BATCH_WINDOW_MS: '500' });
  t.teardown(srv.close);
  const forms = await Promise.all([300, 301, 302, 303].map(async (s, i) => imageForm([await sceneImage(s)], { beamSize: '3', nBest: String(1 + (i % 3)) })));
  const post = async (f: (typeof forms)[number]) => {
    const r = await httpRequest(srv.base, '/v1/captions', f);
    if (r.status !== 200) t.fail(`HTTP ${r.status}: ${r.body.slice(0, 200)}`);
    return (JSON.parse(r.body).results as CaptionResult[]);
  };
  const alone = [];
  for (const f of forms) alone.push(await post(f));
  const before = srv.captioner.batchStats();
  const together = await Promise.all(forms.map(post));
  const after = srv.captioner.batchStats();
  t.ok(after.jobs - before.jobs < 4, `4 requests in ${after.jobs - before.jobs} worker job(s)`);
  t.ok(together.flat().some((r) => r.timings.batchImages > 1), 'some were decoded in a batch');
  for (const [i] of forms.entries()) t.same(differences(together[i].map(answer), alone[i].map(answer)), [], `request ${i}: same answer`);
});
