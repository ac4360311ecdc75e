// The three body types of an upload over a real socket (src/server/upload.ts): multipart, a raw
// image body with options in the query, JSON with base64 images; and their limits, stated in the
// 413 messages.
import sharp from 'sharp';
import t from 'tap';
import { captionResults as results, errorBody as error, httpRequest, imageForm, jpeg, jsonBody as json, listenLocal, skipWithoutModel, testConfig } from '../helpers/server.ts';

t.test('raw and JSON bodies', { skip: skipWithoutModel }, async (t) => {
  const { app, base } = await listenLocal();
  t.teardown(() => app.close());
  const photo = await jpeg(200, 150);

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
});

t.test('upload limits are stated in the 413 messages; 25 MB default', { skip: skipWithoutModel }, async (t) => {
  t.equal(testConfig().maxFileBytes, 25 * 1024 * 1024);
  const { app, base } = await listenLocal({ MAX_FILE_BYTES: '50000', MAX_FILES: '2' });
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
