// POST /v1/captions with real images, real encoder and the served decoder (trained or not).
import sharp from 'sharp';
import t from 'tap';
import { CaptionsResponseSchema } from '../../src/server/schemas.ts';
import { CaptionResultSchema } from '../../src/service/schemas.ts';
import { existsSync, readFileSync } from 'node:fs';
import { attentionOk, captionResults as results, httpRequest, imageForm, img, listenLocal, parseSse, jpeg, png, rawImage, skipWithoutModel, testApp, WORDY } from '../helpers/server.ts';
import { SHARED_DIR } from '../helpers/shared-dir.ts';

t.test('captions', { skip: skipWithoutModel }, async (t) => {
  const { app } = await testApp();
  t.teardown(() => app.close());

  const post = async (images: Buffer[], fields: Record<string, string> = {}, query = '', headers: Record<string, string> = {}) => {
    const form = await imageForm(images, fields);
    return app.inject({ method: 'POST', url: `/v1/captions${query}`, payload: form.payload, headers: { ...form.headers, ...headers } });
  };

  const formats: [string, () => Promise<Buffer>, { width: number; height: number; format: string }][] = [
    ['JPEG', () => jpeg(160, 120), { width: 160, height: 120, format: 'jpeg' }],
    ['PNG', () => png(160, 120), { width: 160, height: 120, format: 'png' }],
    ['WebP', () => img(160, 120).webp().toBuffer(), { width: 160, height: 120, format: 'webp' }],
    ['grayscale', () => img(160, 120).grayscale().png().toBuffer(), { width: 160, height: 120, format: 'png' }],
    ['alpha', () => sharp(rawImage(160, 120), { raw: { width: 160, height: 120, channels: 3 } }).ensureAlpha(0.3).png().toBuffer(), { width: 160, height: 120, format: 'png' }],
    ['EXIF orientation 6 (stored 160×120, shown 120×160)', () => img(160, 120).jpeg().withMetadata({ orientation: 6 }).toBuffer(), { width: 120, height: 160, format: 'jpeg' }],
  ];
  for (const [name, make, image] of formats) {
    t.test(name, async (t) => {
      const res = await post([await make()], WORDY);
      t.equal(res.statusCode, 200, res.statusCode === 200 ? 'status 200' : res.body);
      t.match(res.headers['content-type'], /application\/json/);
      t.ok(res.headers['x-request-id']);
      const body = CaptionsResponseSchema.parse(res.json());
      t.equal(body.results.length, 1);
      const r = body.results[0];
      t.same(r.image, image);
      t.ok(r.tokens.length >= 1, 'seeded sampling gives words');
      t.equal(r.caption, r.tokens.map((x) => x.word).join(' '));
      for (const tok of r.tokens) t.ok(attentionOk(tok.attention, r.grid), `attention of "${tok.word}" is ${r.grid.h}×${r.grid.w} and sums to 1`);
    });
  }

  t.test('default options (beam search) give a valid result', async (t) => {
    const res = await post([await jpeg()]);
    t.equal(res.statusCode, 200, res.statusCode === 200 ? 'status 200' : res.body);
    const [r] = CaptionsResponseSchema.parse(res.json()).results;
    t.ok(r.alternatives.length >= 1 && r.alternatives.length <= 3);
    t.equal(r.model.attention, 'soft');
  });

  t.test('several images: one result per image, in upload order', async (t) => {
    const res = await post([await jpeg(100, 80), await png(64, 200), await jpeg(300, 50)], WORDY);
    t.equal(res.statusCode, 200, res.statusCode === 200 ? 'status 200' : res.body);
    const { results } = CaptionsResponseSchema.parse(res.json());
    t.same(results.map((r) => [r.image.width, r.image.height]), [[100, 80], [64, 200], [300, 50]]);
  });

  t.test('options as multipart fields and as query string (the same value twice is fine, different values are a 400)', async (t) => {
    const viaFields = CaptionResultSchema.parse((await post([await jpeg()], { beamSize: '1', includeMaps: 'false', tags: 'true', maxLength: '3' })).json().results[0]);
    t.equal(viaFields.alternatives.length, 1, 'beamSize=1 → greedy, one alternative');
    t.ok(viaFields.tokens.every((x) => x.attention === undefined), 'includeMaps=false');
    t.equal(viaFields.tags?.length, 5, 'tags=true');
    t.ok(viaFields.tokens.length <= 3);

    const viaQuery = CaptionResultSchema.parse((await post([await jpeg()], {}, '?beamSize=1&includeMaps=0&tags=yes')).json().results[0]);
    t.equal(viaQuery.alternatives.length, 1);
    t.equal(viaQuery.tags?.length, 5);

    const both = CaptionResultSchema.parse((await post([await jpeg()], { beamSize: '2', nBest: '2' }, '?beamSize=2')).json().results[0]);
    t.equal(both.alternatives.length, 2, 'agreeing query and field');
    const clash = await post([await jpeg()], { beamSize: '2' }, '?beamSize=1');
    t.equal(clash.statusCode, 400);
    t.equal(clash.json().error, 'option_conflict');
    t.match(clash.json().message, /beamSize.*"1".*query.*"2"/);

    const blank = await post([await jpeg()], { beamSize: '', seed: '' }, '?maxLength=');
    t.equal(blank.statusCode, 200, 'blank inputs (HTML forms) count as unset');
  });

  t.test('seeded sampling is reproducible', async (t) => {
    const a = (await post([await jpeg()], WORDY)).json().results[0];
    const b = (await post([await jpeg()], WORDY)).json().results[0];
    t.equal(a.caption, b.caption);
  });

  t.test('SSE: word events, then result, then done', async (t) => {
    const res = await post([await jpeg(), await png()], WORDY, '', { accept: 'text/event-stream' });
    t.equal(res.statusCode, 200);
    t.match(res.headers['content-type'], /^text\/event-stream/);
    const events = parseSse(res.body);
    const names = events.map((e) => e.event);
    t.equal(names.at(-1), 'done');
    t.same(events.at(-1)!.data, { count: 2 });
    const results = events.filter((e) => e.event === 'result').map((e) => CaptionResultSchema.parse(e.data));
    t.equal(results.length, 2);
    for (const [image, r] of results.entries()) {
      const words = events.filter((e) => e.event === 'word' && (e.data as { image: number }).image === image).map((e) => e.data as { index: number; word: string; attention: number[][]; beta: number; logprob: number });
      t.same(words.map((w) => w.word), r.tokens.map((x) => x.word), `image ${image}: one word event per word`);
      t.same(words.map((w) => w.index), r.tokens.map((_, i) => i));
      t.ok(words.every((w) => attentionOk(w.attention, r.grid) && typeof w.beta === 'number' && typeof w.logprob === 'number'));
      // word events for an image come before its result event
      const lastWord = names.lastIndexOf('word', events.indexOf(events.filter((e) => e.event === 'result')[image]));
      t.ok(words.length === 0 || lastWord >= 0);
    }
    t.ok(names.indexOf('word') < names.indexOf('result'), 'words first');
  });

  t.test('SSE errors before streaming are plain JSON with a status', async (t) => {
    const res = await post([Buffer.from('not an image')], {}, '', { accept: 'text/event-stream' });
    t.equal(res.statusCode, 415);
    t.equal(res.json().error, 'unsupported_image');
  });

  t.test('/metrics: Prometheus text with request counts and queue gauges', async (t) => {
    await app.inject('/no-such-page');
    const res = await app.inject('/metrics');
    t.equal(res.statusCode, 200);
    t.match(res.headers['content-type'], /text\/plain/);
    t.match(res.body, /http_requests_total\{route="\/v1\/captions",method="POST",status="200"\} \d+/);
    t.match(res.body, /http_requests_total\{route="unmatched",method="GET",status="404"\} 1/);
    t.match(res.body, /inference_queue_waiting 0/);
    t.match(res.body, /inference_queue_running 0/);
    t.match(res.body, /inference_jobs_total\{outcome="ok"\} [1-9]/);
    t.match(res.body, /http_request_duration_seconds_bucket/);
  });

  t.test('/openapi.json (from the zod schemas) and /docs', async (t) => {
    const res = await app.inject('/openapi.json');
    t.equal(res.statusCode, 200);
    const doc = res.json();
    t.equal(doc.openapi, '3.1.0');
    t.same(Object.keys(doc.paths).sort(), ['/healthz', '/metrics', '/readyz', '/v1/captions', '/v1/jobs', '/v1/jobs/{id}', '/v1/models', '/v1/overlays']);
    const props = doc.paths['/v1/captions'].post.requestBody.content['multipart/form-data'].schema.properties;
    t.ok(props.image && props.beamSize && props.attention, 'options documented as form fields');
    t.same(props.attention.enum, ['soft', 'hard']);
    t.ok(doc.paths['/v1/overlays'].post.requestBody.content['multipart/form-data'].schema.properties.panelSize);
    const docs = await app.inject('/docs');
    t.equal(docs.statusCode, 200);
    t.match(docs.body, /swagger/i);
  });

  t.test('/readyz, /healthz, /v1/models', async (t) => {
    t.same((await app.inject('/healthz')).json(), { status: 'ok' });
    const ready = await app.inject('/readyz');
    t.equal(ready.statusCode, 200);
    t.equal(ready.json().status, 'ready');
    const models = await app.inject('/v1/models');
    t.equal(models.statusCode, 200);
    const info = models.json();
    t.equal(info.encoder.id, 'mobilenetv2-12-int8');
    t.ok(info.decoders.length >= 1);
    const untrained = info.decoders.some((d: { trained: boolean }) => !d.trained);
    t.equal(info.warnings.some((w: string) => /UNTRAINED/.test(w)), untrained && info.decoders.length === 1, 'untrained warning shown exactly when serving the random decoder');
  });
});


const ZEBRA = `${SHARED_DIR}/data/coco-mini-train/train2017/000000281789.jpg`;
const DOGS = `${SHARED_DIR}/data/flickr8k/images/2513260012_03d33305cf.jpg`;

t.test('results over a real socket: confidence, warnings, truncation, sampled alternatives, event indices', { skip: skipWithoutModel }, async (t) => {
  const { app, base } = await listenLocal();
  t.teardown(() => app.close());
  const photo = await jpeg(200, 150);
  const caption = async (fields: Record<string, string>, query = '', images = [photo]) => httpRequest(base, `/v1/captions${query}`, await imageForm(images, fields));

  t.test('every result has a documented confidence in [0, 1], warnings and truncated', async (t) => {
    const res = await caption({ beamSize: '3' });
    t.equal(res.status, 200, res.body.slice(0, 300));
    const [r] = results(res);
    t.ok(r.confidence >= 0 && r.confidence <= 1);
    t.ok(Array.isArray(r.warnings));
    t.equal(typeof r.truncated, 'boolean');
    t.ok(r.confidenceInputs.meanLogprob <= 0);
    t.notMatch(r.caption, /<unk>/);
    for (const a of r.alternatives) t.notMatch(a.caption, /<unk>/);
  });

  t.test('real photos: a zebra the caption does not name is flagged (out of vocabulary, or not named); a Flickr8k dog photo scores higher', { skip: existsSync(ZEBRA) && existsSync(DOGS) ? false : `needs ${ZEBRA} and ${DOGS} (set SHARED_DIR)` }, async (t) => {
    const [zebra] = results(await caption({ tags: 'true' }, '', [readFileSync(ZEBRA)]));
    t.match(zebra.tags?.[0].label, /zebra/, 'the encoder sees a zebra');
    // The expanded vocabulary has "zebra": said only when supported; if the caption still leaves it out, it says so.
    if (!/zebra/.test(zebra.caption)) t.ok(zebra.warnings.some((w) => /(subject not in the model's vocabulary|not named): zebra/.test(w)), `"${zebra.caption}" warnings: ${JSON.stringify(zebra.warnings)}`);
    else t.pass(`the caption names the zebra: "${zebra.caption}"`);
    const [dogs] = results(await caption({}, '', [readFileSync(DOGS)]));
    t.match(dogs.caption, /dog/);
    t.ok(dogs.confidence > zebra.confidence, `dogs ${dogs.confidence} > zebra ${zebra.confidence}`);
    t.notOk(dogs.warnings.some((w) => /vocabulary/.test(w)));
  });

  t.test('maxLength cuts the caption: truncated true and a warning', async (t) => {
    const [r] = results(await caption({ beamSize: '1', maxLength: '2' }));
    t.equal(r.tokens.length, 2);
    t.equal(r.truncated, true);
    t.ok(r.warnings.includes('caption cut at maxLength'));
    const [full] = results(await caption({ beamSize: '1' }));
    t.equal(full.truncated, false, `"${full.caption}" ended by the model`);
  });

  t.test('nBest with sampling: n differently seeded samples, reproducible, the first one is the caption', async (t) => {
    const a = results(await caption({ sample: 'true', nBest: '4', seed: '11', temperature: '1.5' }))[0];
    t.equal(a.alternatives.length, 4);
    t.equal(a.alternatives[0].caption, a.caption);
    t.ok(new Set(a.alternatives.map((x) => x.caption)).size > 1, `different samples: ${JSON.stringify(a.alternatives.map((x) => x.caption))}`);
    const b = results(await caption({ sample: 'true', nBest: '4', seed: '11', temperature: '1.5' }))[0];
    t.same(b.alternatives.map((x) => x.caption), a.alternatives.map((x) => x.caption), 'same seed, same samples');
    const one = results(await caption({ sample: 'true', seed: '11', temperature: '1.5' }))[0];
    t.equal(one.alternatives.length, 1, 'default: one sample');
    t.equal(one.caption, a.caption, 'sample 0 does not depend on nBest');
  });

  t.test('result events carry the 0-based image index; word events too', async (t) => {
    const form = await imageForm([photo, await jpeg(64, 64)], { beamSize: '1', maxLength: '3' });
    const res = await httpRequest(base, '/v1/captions', { payload: form.payload, headers: { ...form.headers, accept: 'text/event-stream' } });
    const events = parseSse(res.body);
    const resultsEv = events.filter((e) => e.event === 'result').map((e) => e.data as { imageIndex: number; image: { width: number } });
    t.same(resultsEv.map((r) => [r.imageIndex, r.image.width]), [[0, 200], [1, 64]]);
    t.same([...new Set(events.filter((e) => e.event === 'word').map((e) => (e.data as { image: number }).image))].sort(), [0, 1]);
  });
});
