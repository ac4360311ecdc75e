// The OpenAPI document (generated from the zod schemas) matches what the real server sends:
// real responses over a socket are validated against the response schemas in /openapi.json
// with Ajv (JSON Schema 2020-12), including error bodies for each documented 4xx/5xx status.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import net from 'node:net';
import t from 'tap';
import { occupy } from '../helpers/executors.ts';
import { httpRequest, imageForm, jpeg, listenLocal, listeningWorkerApp, skipWithoutModel, WORDY, type RawResponse } from '../helpers/server.ts';

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }> }>>;
  components: { schemas: Record<string, Record<string, unknown>> };
};

t.test('OpenAPI response schemas match real responses', { skip: skipWithoutModel }, async (t) => {
  const srv = await listeningWorkerApp({ MAX_FILE_BYTES: String(128 * 1024), BODY_TIMEOUT_MS: '600' });
  t.teardown(srv.close);
  const specRes = await httpRequest(srv.base, '/openapi.json', null);
  t.equal(specRes.status, 200);
  const doc = JSON.parse(specRes.body) as Doc;
  t.equal(doc.openapi, '3.1.0');

  const ajv = new Ajv2020({ strict: false, allErrors: true });
  const compiled = new Map<string, ValidateFunction>();
  /** The schema of one documented response, with the shared Error component inlined. */
  const validator = (path: string, method: string, status: number | string, type = 'application/json'): ValidateFunction => {
    const key = `${method} ${path} ${status} ${type}`;
    let v = compiled.get(key);
    if (!v) {
      const schema = doc.paths[path]?.[method]?.responses?.[String(status)]?.content?.[type]?.schema;
      if (!schema) throw new Error(`the spec documents no ${type} body for ${key}`);
      const ref = schema.$ref as string | undefined;
      const resolved = ref ? doc.components.schemas[ref.replace('#/components/schemas/', '')] : schema;
      v = ajv.compile(resolved);
      compiled.set(key, v);
    }
    return v;
  };
  const check = (name: string, path: string, method: string, res: RawResponse, status: number) => {
    t.test(`${name}: ${method.toUpperCase()} ${path} → ${status}`, async (t) => {
      t.equal(res.status, status, res.body.slice(0, 200));
      t.match(String(res.headers['content-type']), /application\/json/);
      const validate = validator(path, method, status);
      const ok = validate(JSON.parse(res.body));
      t.ok(ok, `body matches the spec${ok ? '' : `: ${ajv.errorsText(validate.errors)}`}`);
    });
  };

  const photo = await jpeg(200, 150);
  const caption = (fields: Record<string, string>, images = [photo]) => imageForm(images, fields).then((f) => httpRequest(srv.base, '/v1/captions', f));

  // 200s
  check('captions, maps + tags + alternatives', '/v1/captions', 'post', await caption({ beamSize: '3', nBest: '3', tags: 'true' }), 200);
  check('captions, sampled, two images', '/v1/captions', 'post', await caption(WORDY, [photo, await jpeg(64, 64)]), 200);
  check('captions, no maps', '/v1/captions', 'post', await caption({ beamSize: '1', includeMaps: 'false' }), 200);
  check('models', '/v1/models', 'get', await httpRequest(srv.base, '/v1/models', null), 200);
  check('liveness', '/healthz', 'get', await httpRequest(srv.base, '/healthz', null), 200);
  check('readiness (with worker stats)', '/readyz', 'get', await httpRequest(srv.base, '/readyz', null), 200);

  // error bodies, each against the status the spec documents for it
  check('bad option', '/v1/captions', 'post', await caption({ beamSize: '0' }), 400);
  check('not multipart', '/v1/captions', 'post', await httpRequest(srv.base, '/v1/captions', { payload: Buffer.from('{}'), headers: { 'content-type': 'application/json' } }), 400);
  check('file too large', '/v1/captions', 'post', await caption({}, [Buffer.concat([photo, Buffer.alloc(200 * 1024)])]), 413);
  check('not an image', '/v1/captions', 'post', await caption({}, [Buffer.from('hello')]), 415);
  check('overlay bad option', '/v1/overlays', 'post', await imageForm([photo], { style: 'neon' }).then((f) => httpRequest(srv.base, '/v1/overlays', f)), 400);

  t.test('408 from a stalled upload (written by the node-level client error handler)', async (t) => {
    const sock = net.connect(Number(new URL(srv.base).port), '127.0.0.1');
    let got = '';
    sock.on('data', (c) => { got += c; });
    sock.on('error', () => {});
    const closed = new Promise((r) => sock.on('close', r));
    sock.write('POST /v1/captions HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 5000\r\n\r\n--b\r\n');
    await closed;
    t.match(got, /^HTTP\/1\.1 408/);
    const validate = validator('/v1/captions', 'post', 408);
    const body = JSON.parse(got.slice(got.indexOf('\r\n\r\n') + 4));
    t.ok(validate(body), ajv.errorsText(validate.errors));
  });

  t.test('503 busy (queue full) matches the documented 503', async (t) => {
    // Every running slot and every place in line taken: the queue is full.
    const { capacity, maxQueue } = srv.captioner.queue.stats();
    const release = await occupy(srv.captioner, srv.executors, photo, capacity + maxQueue);
    t.same(srv.captioner.queue.stats(), { running: capacity, waiting: maxQueue, capacity, maxQueue }, 'held jobs fill the line');
    const res = await httpRequest(srv.base, '/v1/captions', await imageForm([photo]));
    await release();
    t.equal(res.status, 503);
    const validate = validator('/v1/captions', 'post', 503);
    t.ok(validate(JSON.parse(res.body)), ajv.errorsText(validate.errors));
  });

  t.test('the validator is strict: a body the spec does not allow is refused', async (t) => {
    const good = JSON.parse((await caption({ beamSize: '1', maxLength: '3' })).body);
    const v = validator('/v1/captions', 'post', 200);
    t.ok(v(good));
    const { caption: _drop, ...missing } = good.results[0];
    t.notOk(v({ results: [missing] }), 'missing caption');
    t.notOk(v({ results: [{ ...good.results[0], extra: 1 }] }), 'undocumented field');
    t.notOk(validator('/readyz', 'get', 200)({ status: 'ready', queue: { running: 0, waiting: 0, capacity: 1, maxQueue: 1 } }), 'readyz without workers');
  });

  t.test('every documented error status uses the Error schema; every route in the app is documented', async (t) => {
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        for (const [status, r] of Object.entries(op.responses)) {
          if (Number(status) >= 400) t.equal((r.content?.['application/json']?.schema as { $ref?: string } | undefined)?.$ref, '#/components/schemas/Error', `${method} ${path} ${status}`);
        }
      }
    }
    t.same(Object.keys(doc.paths).sort(), ['/healthz', '/metrics', '/readyz', '/v1/captions', '/v1/jobs', '/v1/jobs/{id}', '/v1/models', '/v1/overlays']);
  });
});

t.test('OpenAPI lists the options as query parameters and the three body types', { skip: skipWithoutModel }, async (t) => {
  const { app, base } = await listenLocal();
  t.teardown(() => app.close());
  const doc = JSON.parse((await httpRequest(base, '/openapi.json', null)).body);
  for (const path of ['/v1/captions', '/v1/overlays']) {
    const op = doc.paths[path].post;
    const names = op.parameters.filter((p: { in: string }) => p.in === 'query').map((p: { name: string }) => p.name);
    for (const n of ['beamSize', 'nBest', 'sample', 'repetitionPenalty']) t.ok(names.includes(n), `${path} ?${n}`);
    t.same(Object.keys(op.requestBody.content).sort(), ['application/json', 'image/*', 'multipart/form-data']);
  }
  t.ok(doc.paths['/v1/overlays'].post.parameters.some((p: { name: string }) => p.name === 'word'));
});
