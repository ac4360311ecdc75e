// Over a real socket: confidence and warnings, option conflicts (400 option_conflict or made to
// work), truncated captions, raw / JSON / URL uploads and their limits, and the small fixes
// (word text on overlays, result events' image index, 0-based indices, /v1/models paths, the
// OpenAPI query parameters).
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import t from 'tap';
import { createApp } from '../../src/server/app.ts';
import { CaptionResultSchema } from '../../src/service/schemas.ts';
import { SHARED_DIR } from '../helpers/shared-dir.ts';
import { httpRequest, imageForm, jpeg, localEngine, parseSse, skipWithoutModel, testConfig, type RawResponse } from '../helpers/server.ts';

async function listen(env: Record<string, string> = {}) {
  const config = testConfig(env);
  const { app } = createApp({ captioner: await localEngine(config), config });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}
const json = (body: unknown) => ({ payload: Buffer.from(JSON.stringify(body)), headers: { 'content-type': 'application/json' } });
const results = (res: RawResponse) => (JSON.parse(res.body) as { results: unknown[] }).results.map((r) => CaptionResultSchema.parse(r));
const error = (res: RawResponse) => JSON.parse(res.body) as { error: string; message: string };

const ZEBRA = `${SHARED_DIR}/data/coco-mini-train/train2017/000000281789.jpg`;
const DOGS = `${SHARED_DIR}/data/flickr8k/images/2513260012_03d33305cf.jpg`;

t.test('issue 11 over HTTP', { skip: skipWithoutModel }, async (t) => {
  const { app, base } = await listen();
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

  t.test('real photos: a zebra is flagged out of vocabulary; a Flickr8k dog photo scores higher', { skip: existsSync(ZEBRA) && existsSync(DOGS) ? false : `needs ${ZEBRA} and ${DOGS}` }, async (t) => {
    const [zebra] = results(await caption({ tags: 'true' }, '', [readFileSync(ZEBRA)]));
    t.match(zebra.tags?.[0].label, /zebra/, 'the encoder sees a zebra');
    t.ok(zebra.warnings.some((w) => /subject not in the model's vocabulary: zebra/.test(w)), `warnings: ${JSON.stringify(zebra.warnings)}`);
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

  t.test('option conflicts are 400 option_conflict naming the options', async (t) => {
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ sampleLocations: 'true' }, '', /sampleLocations.*attention=hard/],
      [{ temperature: '0.5' }, '', /temperature.*sample=true/],
      [{ seed: '3' }, '', /seed/],
      [{ sample: 'true', beamSize: '5' }, '', /beamSize=5/],
      [{ beamSize: '1', lengthPenalty: '1' }, '', /lengthPenalty/],
      [{ beamSize: '2', nBest: '3' }, '', /nBest=3 exceeds beamSize=2/],
      [{ maxLength: '5' }, '?maxLength=6', /maxLength/],
    ];
    for (const [fields, query, message] of cases) {
      const res = await caption(fields, query);
      t.equal(res.status, 400, `${JSON.stringify(fields)}${query}: ${res.body.slice(0, 200)}`);
      t.equal(error(res).error, 'option_conflict');
      t.match(error(res).message, message);
    }
    // The overlay route applies the same rules.
    const ov = await httpRequest(base, '/v1/overlays', await imageForm([photo], { temperature: '2' }));
    t.equal(ov.status, 400);
    t.equal(error(ov).error, 'option_conflict');
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

  t.test('raw image body (Content-Type: image/*), options in the query', async (t) => {
    const res = await httpRequest(base, '/v1/captions?beamSize=1&maxLength=4', { payload: photo, headers: { 'content-type': 'image/jpeg' } });
    t.equal(res.status, 200, res.body.slice(0, 200));
    const [r] = results(res);
    t.same(r.image, { width: 200, height: 150, format: 'jpeg' });
    t.equal(r.alternatives.length, 1, 'query options applied');
  });

  t.test('JSON {images:[{base64}]} with options, one result per image', async (t) => {
    const png = await sharp(photo).png().toBuffer();
    const res = await httpRequest(base, '/v1/captions', json({ images: [{ base64: photo.toString('base64') }, { base64: `data:image/png;base64,${png.toString('base64')}` }], beamSize: 1, maxLength: 4 }));
    t.equal(res.status, 200, res.body.slice(0, 200));
    const rs = results(res);
    t.same(rs.map((r) => r.image.format), ['jpeg', 'png']);
    t.ok(rs.every((r) => r.alternatives.length === 1));
    const bad = await httpRequest(base, '/v1/captions', json({ images: [] }));
    t.equal(bad.status, 400);
    t.match(error(bad).message, /images/);
    const url = await httpRequest(base, '/v1/captions', json({ images: [{ url: 'http://127.0.0.1:1/x.jpg' }] }));
    t.equal(url.status, 400, 'URLs are off by default');
    t.equal(error(url).error, 'urls_disabled');
  });

  t.test('result events carry the 0-based image index; word events too', async (t) => {
    const form = await imageForm([photo, await jpeg(64, 64)], { beamSize: '1', maxLength: '3' });
    const res = await httpRequest(base, '/v1/captions', { payload: form.payload, headers: { ...form.headers, accept: 'text/event-stream' } });
    const events = parseSse(res.body);
    const resultsEv = events.filter((e) => e.event === 'result').map((e) => e.data as { imageIndex: number; image: { width: number } });
    t.same(resultsEv.map((r) => [r.imageIndex, r.image.width]), [[0, 200], [1, 64]]);
    t.same([...new Set(events.filter((e) => e.event === 'word').map((e) => (e.data as { image: number }).image))].sort(), [0, 1]);
  });

  t.test('errors name images 0-based', async (t) => {
    const res = await httpRequest(base, '/v1/captions', await imageForm([photo, Buffer.from('not an image')], { beamSize: '1' }));
    t.equal(res.status, 415);
    t.match(error(res).message, /^image 1 \(img1\.bin\)/);
  });

  t.test('overlays: word=<text>, and single-word overlays at the image resolution up to 1024 px', async (t) => {
    const [r] = results(await caption({ beamSize: '1', maxLength: '5' }));
    const word = r.tokens[1].word;
    const byText = await httpRequest(base, `/v1/overlays?beamSize=1&maxLength=5&word=${encodeURIComponent(word)}`, await imageForm([photo]));
    t.equal(byText.status, 200, byText.body.slice(0, 200));
    const byIndex = await new Promise<Buffer>((resolve, reject) => {
      imageForm([photo]).then((f) => {
        const req = http.request(`${base}/v1/overlays?beamSize=1&maxLength=5&word=${r.tokens.findIndex((x) => x.word === word)}`, { method: 'POST', headers: f.headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks)));
        });
        req.on('error', reject);
        req.end(f.payload);
      }, reject);
    });
    t.same((await sharp(byIndex).metadata()).width, 200, 'at the image resolution');
    const missing = await httpRequest(base, '/v1/overlays?beamSize=1&maxLength=5&word=zebra', await imageForm([photo]));
    t.equal(missing.status, 400);
    t.match(error(missing).message, /"zebra" is not in the caption/);
    // A large image: capped at 1024 px on its longest side (README).
    const big = await sharp({ create: { width: 1600, height: 800, channels: 3, background: { r: 90, g: 140, b: 60 } } }).jpeg().toBuffer();
    const capped = await new Promise<Buffer>((resolve, reject) => {
      imageForm([big]).then((f) => {
        const req = http.request(`${base}/v1/overlays?beamSize=1&maxLength=3&word=0`, { method: 'POST', headers: f.headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks)));
        });
        req.on('error', reject);
        req.end(f.payload);
      }, reject);
    });
    const m = await sharp(capped).metadata();
    t.same([m.width, m.height], [1024, 512]);
  });

  t.test('spotlight overlays stay readable: no pixel below 40% of its brightness', async (t) => {
    const grey = await sharp({ create: { width: 140, height: 105, channels: 3, background: { r: 200, g: 200, b: 200 } } }).png().toBuffer();
    const f = await imageForm([grey]);
    const png = await new Promise<Buffer>((resolve, reject) => {
      const req = http.request(`${base}/v1/overlays?beamSize=1&maxLength=3&word=0&style=spotlight`, { method: 'POST', headers: f.headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks)));
      });
      req.on('error', reject);
      req.end(f.payload);
    });
    const { data } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    const min = data.reduce((m, v) => Math.min(m, v), 255);
    const max = data.reduce((m, v) => Math.max(m, v), 0);
    t.ok(min >= 79, `darkest pixel ${min} of 200`);
    t.ok(max - min > 10, `the map is visible (${min}..${max})`);
  });

  t.test('/v1/models exposes no absolute server path', async (t) => {
    const res = await httpRequest(base, '/v1/models', null);
    t.equal(res.status, 200);
    t.notMatch(res.body, /"\/(work|tmp|home|root|usr)\//);
    const info = JSON.parse(res.body) as { decoders: { path: string | null; attention: string }[] };
    for (const d of info.decoders) t.ok(d.path === null || d.path === d.attention, `path ${d.path}`);
  });

  t.test('OpenAPI lists the options as query parameters and the three body types', async (t) => {
    const doc = JSON.parse((await httpRequest(base, '/openapi.json', null)).body);
    for (const path of ['/v1/captions', '/v1/overlays']) {
      const op = doc.paths[path].post;
      const names = op.parameters.filter((p: { in: string }) => p.in === 'query').map((p: { name: string }) => p.name);
      for (const n of ['beamSize', 'nBest', 'sample', 'repetitionPenalty']) t.ok(names.includes(n), `${path} ?${n}`);
      t.same(Object.keys(op.requestBody.content).sort(), ['application/json', 'image/*', 'multipart/form-data']);
    }
    t.ok(doc.paths['/v1/overlays'].post.parameters.some((p: { name: string }) => p.name === 'word'));
  });
});

t.test('upload limits are stated in the 413 messages; 25 MB default', { skip: skipWithoutModel }, async (t) => {
  t.equal(testConfig().maxFileBytes, 25 * 1024 * 1024);
  const { app, base } = await listen({ MAX_FILE_BYTES: '50000', MAX_FILES: '2' });
  t.teardown(() => app.close());
  const big = Buffer.alloc(60000, 1);
  for (const [name, res] of [
    ['multipart', await httpRequest(base, '/v1/captions', await imageForm([big]))],
    ['raw', await httpRequest(base, '/v1/captions', { payload: big, headers: { 'content-type': 'image/jpeg' } })],
    ['JSON', await httpRequest(base, '/v1/captions', json({ images: [{ base64: big.toString('base64') }] }))],
  ] as const) {
    t.equal(res.status, 413, name);
    t.match(error(res).message, /50000 bytes/, `${name}: ${error(res).message}`);
  }
  const many = await httpRequest(base, '/v1/captions', json({ images: [1, 2, 3].map(() => ({ base64: 'AAAA' })) }));
  t.equal(many.status, 413);
  t.match(error(many).message, /at most 2 image/);
});

t.test('image URLs: only when enabled, allow-listed, size- and redirect-checked', { skip: skipWithoutModel }, async (t) => {
  const photo = await jpeg(120, 90);
  // A local image host: /img.jpg, /big (too large), /to-private (redirects to a private address), /to-other-host.
  const host = http.createServer((req, res) => {
    if (req.url === '/img.jpg') res.writeHead(200, { 'content-type': 'image/jpeg' }).end(photo);
    else if (req.url === '/big') res.writeHead(200, { 'content-type': 'image/jpeg' }).end(Buffer.alloc(80000));
    else if (req.url === '/to-private') res.writeHead(302, { location: 'http://10.1.2.3/img.jpg' }).end();
    else if (req.url === '/to-other-host') res.writeHead(302, { location: `http://localhost:${(host.address() as AddressInfo).port}/img.jpg` }).end();
    else if (req.url === '/to-img') res.writeHead(301, { location: '/img.jpg' }).end();
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => host.listen(0, '127.0.0.1', r));
  t.teardown(() => host.close());
  const origin = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
  const url = (path: string) => json({ images: [{ url: `${origin}${path}` }], beamSize: 1, maxLength: 3 });

  const { app, base } = await listen({ ALLOW_IMAGE_URLS: 'true', IMAGE_URL_ALLOWLIST: '127.0.0.1', IMAGE_URL_ALLOW_LOOPBACK: 'true', MAX_FILE_BYTES: '60000' });
  t.teardown(() => app.close());
  const ok = await httpRequest(base, '/v1/captions', url('/img.jpg'));
  t.equal(ok.status, 200, ok.body.slice(0, 200));
  t.same(results(ok)[0].image, { width: 120, height: 90, format: 'jpeg' });
  t.equal((await httpRequest(base, '/v1/captions', url('/to-img'))).status, 200, 'a redirect on the same allowed host is followed');
  const big = await httpRequest(base, '/v1/captions', url('/big'));
  t.equal(big.status, 413);
  t.match(error(big).message, /60000 bytes/);
  const priv = await httpRequest(base, '/v1/captions', url('/to-private'));
  t.equal(priv.status, 400);
  t.match(error(priv).message, /10\.1\.2\.3.*private/);
  const other = await httpRequest(base, '/v1/captions', url('/to-other-host'));
  t.equal(other.status, 400);
  t.match(error(other).message, /localhost.*allow-list/);
  const missing = await httpRequest(base, '/v1/captions', url('/nope'));
  t.equal(missing.status, 400);
  t.match(error(missing).message, /HTTP 404/);

  // Loopback is private unless the config says otherwise, even when allow-listed.
  const strict = await listen({ ALLOW_IMAGE_URLS: 'true', IMAGE_URL_ALLOWLIST: '127.0.0.1' });
  t.teardown(() => strict.app.close());
  const refused = await httpRequest(strict.base, '/v1/captions', url('/img.jpg'));
  t.equal(refused.status, 400);
  t.match(error(refused).message, /private/);
  t.throws(() => testConfig({ ALLOW_IMAGE_URLS: 'true' }), /IMAGE_URL_ALLOWLIST/, 'enabled without an allow-list: refused at start-up');
});
