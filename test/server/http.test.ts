// A real listening server on an ephemeral port: keep-alive after rejects, slow uploads,
// back-pressure (503 + Retry-After), deadlines, readiness while loading, SSE over a socket.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { createApp } from '../../src/server/app.ts';
import type { Engine } from '../../src/engine/engine.ts';
import { occupy } from '../helpers/executors.ts';
import { attentionOk, httpRequest, imageForm, parseSse, jpeg, listeningWorkerApp, localEngine, skipWithoutModel, testApp, testConfig, WORDY } from '../helpers/server.ts';

async function listen(app: import('fastify').FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

/** POST by default (the shared helper defaults to GET without a body). */
const request = (base: string, path: string, body: Parameters<typeof httpRequest>[2], agent?: http.Agent, method = 'POST') => httpRequest(base, path, body, agent, method);

t.test('real server', { skip: skipWithoutModel }, async (t) => {
  const good = await jpeg(200, 150);

  t.test('keep-alive connection survives rejected uploads (body drained)', async (t) => {
    const { app } = await testApp({ MAX_FILE_BYTES: String(64 * 1024) });
    t.teardown(() => app.close());
    const base = await listen(app);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    t.teardown(() => agent.destroy());
    const big = await imageForm([Buffer.concat([good, Buffer.alloc(2 * 1024 * 1024)])]);
    const r1 = await request(base, '/v1/captions', big, agent);
    t.equal(r1.status, 413);
    t.equal(JSON.parse(r1.body).error, 'file_too_large');
    const wrong = await imageForm([good], {});
    wrong.payload = Buffer.from(wrong.payload.toString('latin1').replace('name="image"', 'name="photo"'), 'latin1');
    const r2 = await request(base, '/v1/captions', wrong, agent);
    t.equal(r2.status, 400);
    t.equal(r2.reused, true, 'same socket');
    const r3 = await request(base, '/v1/captions?beamSize=1', await imageForm([good]), agent);
    t.equal(r3.status, 200);
    t.equal(r3.reused, true, 'same socket still usable');
  });

  t.test('a stalled upload gets a JSON 408 and the socket closed', async (t) => {
    const { app } = await testApp({ BODY_TIMEOUT_MS: '800' });
    t.teardown(() => app.close());
    const base = new URL(await listen(app));
    const sock = net.connect(Number(base.port), base.hostname);
    let got = '';
    sock.on('data', (c) => { got += c; });
    const closed = new Promise((r) => sock.on('close', r));
    sock.write(`POST /v1/captions HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n--b\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\n\r\n`);
    const t0 = Date.now();
    await closed;
    t.ok(Date.now() - t0 < 5000, `closed after ${Date.now() - t0} ms`);
    t.match(got, /^HTTP\/1\.1 408/);
    t.match(got, /"error":"request_timeout"/);
    t.equal((await request(base.origin, '/healthz', null, undefined, 'GET')).status, 200);
  });

  t.test('queue full → 503 busy with Retry-After (deterministic)', async (t) => {
    const { app, engine, executors } = await testApp({ MAX_BATCH: '1', MAX_QUEUE: '0' });
    t.teardown(() => app.close());
    const base = await listen(app);
    const release = await occupy(engine, executors, good); // the one running slot, taken
    const res = await request(base, '/v1/captions', await imageForm([good]));
    t.equal(res.status, 503);
    t.equal(JSON.parse(res.body).error, 'busy');
    t.match(res.headers['retry-after'], /^\d+$/);
    const sse = await request(base, '/v1/captions', { ...(await imageForm([good])), headers: { ...(await imageForm([good])).headers, accept: 'text/event-stream' } });
    t.equal(sse.status, 503, 'SSE requests get the same 503 before any stream starts');
    await release();
    t.equal((await request(base, '/v1/captions?beamSize=1', await imageForm([good]))).status, 200, 'served once the slot frees');
  });

  t.test('queue full → 503 under real concurrent load (MAX_CONCURRENT=1, MAX_BATCH=1, MAX_QUEUE=0)', async (t) => {
    const { app } = await testApp({ MAX_CONCURRENT: '1', MAX_BATCH: '1', MAX_QUEUE: '0' });
    t.teardown(() => app.close());
    const base = await listen(app);
    // Captioning itself is mostly synchronous (tfjs decode blocks the event loop), so others
    // reach the queue only during its asynchronous parts; overlays spend most of their slot in
    // sharp's thread pool (resizing, compositing, encoding), which makes the overlap reliable.
    const form = await imageForm([await jpeg(1024, 768)], { ...WORDY, maxLength: '12', panelSize: '512' });
    const results = await Promise.all(Array.from({ length: 6 }, () => request(base, '/v1/overlays', form)));
    const statuses = results.map((r) => r.status).sort();
    t.ok(statuses.every((x) => x === 200 || x === 503), `only 200 or 503: ${statuses}`);
    t.ok(statuses.includes(200), `some served: ${statuses}`);
    t.ok(statuses.includes(503), `some refused: ${statuses}`);
    for (const r of results.filter((x) => x.status === 503)) {
      t.equal(JSON.parse(r.body).error, 'busy');
      t.ok(Number(r.headers['retry-after']) >= 1);
    }
  });

  t.test('deadline while waiting → 503 timeout; a client that leaves is dropped from the line', async (t) => {
    const { app, engine, executors } = await testApp({ REQUEST_TIMEOUT_MS: '300', MAX_BATCH: '1', MAX_QUEUE: '5' });
    const { queue } = engine;
    t.teardown(() => app.close());
    const base = await listen(app);
    const release = await occupy(engine, executors, good); // the one running slot, taken
    const res = await request(base, '/v1/captions', await imageForm([good]));
    t.equal(res.status, 503);
    t.equal(JSON.parse(res.body).error, 'timeout');
    t.equal(queue.stats().waiting, 0);

    const form = await imageForm([good]);
    const req = http.request(`${base}/v1/captions`, { method: 'POST', headers: form.headers });
    req.on('error', () => {});
    req.end(form.payload);
    await new Promise((r) => setTimeout(r, 150));
    t.equal(queue.stats().waiting, 1, 'waiting');
    req.destroy();
    await new Promise((r) => setTimeout(r, 100));
    t.equal(queue.stats().waiting, 0, 'dropped when the client disconnected');
    await release();
  });

  t.test('not ready while the model loads: /readyz and the API say 503, /healthz 200', async (t) => {
    let resolve!: (c: Engine) => void;
    const loading = new Promise<Engine>((r) => { resolve = r; });
    const { app, beginShutdown } = createApp({ captioner: loading, config: testConfig() });
    t.teardown(() => app.close());
    const base = await listen(app);
    t.equal((await request(base, '/healthz', null, undefined, 'GET')).status, 200);
    const ready = await request(base, '/readyz', null, undefined, 'GET');
    t.equal(ready.status, 503);
    t.equal(JSON.parse(ready.body).error, 'not_ready');
    t.equal((await request(base, '/v1/captions', await imageForm([good]))).status, 503);
    t.equal((await request(base, '/v1/models', null, undefined, 'GET')).status, 503);
    resolve((await localEngine()).engine);
    await new Promise((r) => setImmediate(r));
    t.equal((await request(base, '/readyz', null, undefined, 'GET')).status, 200);
    beginShutdown();
    t.equal((await request(base, '/readyz', null, undefined, 'GET')).status, 503, 'red again once shutdown begins');
  });

  t.test('SSE over a socket: events as separate chunks, ending with done', async (t) => {
    const { app } = await testApp();
    t.teardown(() => app.close());
    const base = await listen(app);
    const form = await imageForm([good], WORDY);
    const res = await fetch(`${base}/v1/captions`, { method: 'POST', body: new Uint8Array(form.payload), headers: { ...form.headers, accept: 'text/event-stream' } });
    t.equal(res.status, 200);
    t.match(res.headers.get('content-type'), /text\/event-stream/);
    let text = '';
    let chunks = 0;
    for await (const c of res.body!) { text += Buffer.from(c).toString(); chunks++; }
    const events = parseSse(text);
    t.same(events.map((e) => e.event).slice(-2), ['result', 'done']);
    t.ok(events[0].event === 'word', 'starts with a word');
    t.ok(chunks >= 1);
  });

  t.test('SSE streams words while decoding runs (greedy), and after the search (beam)', async (t) => {
    // Inference in a worker (the client here shares the server's thread) with a random
    // 2000-word decoder: <end> is rarely chosen, so greedy decoding runs to maxLength. On the tfjs
    // decoder, so that 40 words take long enough for the gap between words and result to show
    // (ONNX Runtime can decode them all in under the 100 ms this test looks for).
    const srv = await listeningWorkerApp({ DECODER_RUNTIME: 'tfjs' }, {}, true);
    t.teardown(srv.close);

    t.test('greedy: first word long before the result, words spread over time', async (t) => {
      const { events, start } = await timedSse(srv.base, await imageForm([await jpeg(320, 240), await jpeg(200, 200)], { beamSize: '1', maxLength: '40' }));
      t.same(events.map((e) => e.event).slice(-3), ['result', 'result', 'done']);
      const words = events.filter((e) => e.event === 'word');
      const results = events.filter((e) => e.event === 'result');
      for (const [image, r] of results.map((e) => e.data as { tokens: { word: string; attention?: number[][] }[]; grid: { h: number; w: number } }).entries()) {
        const mine = words.filter((w) => (w.data as { image: number }).image === image).map((w) => w.data as { index: number; word: string; attention?: number[][] });
        t.equal(r.tokens.length, 40, `image ${image} ran to maxLength`);
        t.same(mine.map((w) => w.word), r.tokens.map((x) => x.word), `image ${image}: streamed words = result tokens`);
        t.same(mine.map((w) => w.index), r.tokens.map((_, i) => i), `image ${image}: indices in order`);
        t.ok(mine.every((w) => attentionOk(w.attention, r.grid)), `image ${image}: attention grids`);
      }
      const firstWord = words[0].at;
      const lastWord = words.at(-1)!.at;
      const firstResult = results[0].at;
      const total = firstResult - start;
      // Each write reaches a local socket as its own chunk even when all are written at once,
      // so count arrival times instead: distinct 20 ms windows that saw a word.
      const chunks = new Set(words.map((w) => w.chunk)).size;
      const arrivals = new Set(words.map((w) => Math.floor((w.at - firstWord) / 20))).size;
      t.comment(`request → first word ${(firstWord - start).toFixed(0)} ms, last word ${(lastWord - start).toFixed(0)} ms, result ${total.toFixed(0)} ms; ${words.length} words in ${chunks} socket chunks, ${arrivals} 20-ms windows`);
      t.ok(firstWord < firstResult - 100, `first word ${(firstResult - firstWord).toFixed(0)} ms before the result (> 100 ms)`);
      t.ok(lastWord - firstWord > 0.5 * (firstResult - firstWord), `words spread over ${(lastWord - firstWord).toFixed(0)} ms of the ${(firstResult - firstWord).toFixed(0)} ms before the result`);
      t.ok(arrivals >= 3, `words arrived in ${arrivals} distinct 20 ms windows (≥ 3)`);
    });

    t.test('beam search: the best beam\'s words, then the result', async (t) => {
      const { events } = await timedSse(srv.base, await imageForm([await jpeg(200, 200)], { beamSize: '3', maxLength: '6' }));
      t.same(events.map((e) => e.event), [...Array(6).fill('word'), 'result', 'done']);
      const r = events[6].data as { tokens: { word: string }[] };
      t.same(events.slice(0, 6).map((e) => (e.data as { word: string }).word), r.tokens.map((x) => x.word));
      t.same(events.slice(0, 6).map((e) => (e.data as { index: number }).index), [0, 1, 2, 3, 4, 5]);
    });
  });
});

/** POSTs with Accept: text/event-stream; each event with the time (and socket chunk) it arrived in. */
function timedSse(base: string, form: { payload: Buffer; headers: Record<string, string> }): Promise<{ start: number; events: { event: string; data: unknown; at: number; chunk: number }[] }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const events: { event: string; data: unknown; at: number; chunk: number }[] = [];
    const req = http.request(`${base}/v1/captions`, { method: 'POST', headers: { ...form.headers, accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
      res.setEncoding('utf8');
      let buffered = '';
      let chunk = 0;
      res.on('data', (c: string) => {
        const at = performance.now();
        chunk++;
        buffered += c;
        const blocks = buffered.split('\n\n');
        buffered = blocks.pop()!;
        for (const e of parseSse(blocks.map((b) => b + '\n\n').join(''))) events.push({ ...e, at, chunk });
      });
      res.on('end', () => resolve({ start, events }));
    });
    req.on('error', reject);
    req.end(form.payload);
  });
}
