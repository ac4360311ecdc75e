// POST /v1/overlays: contact sheets sized by sheetLayout, single-word overlays at image size.
import sharp from 'sharp';
import t from 'tap';
import { sheetLayout } from '../../src/render/layout.ts';
import { captionResults as results, errorBody as error, httpRequest, imageForm, jpeg, listenLocal, postBytes, skipWithoutModel, testApp, WORDY } from '../helpers/server.ts';

t.test('overlays', { skip: skipWithoutModel }, async (t) => {
  const { app } = await testApp();
  t.teardown(() => app.close());
  const photo = await jpeg(320, 240);
  const post = async (url: string, fields: Record<string, string>) => {
    const form = await imageForm([photo], fields);
    return app.inject({ method: 'POST', url, payload: form.payload, headers: form.headers });
  };
  // Same seed → same caption, so the word count is known in advance.
  const caption = (await post('/v1/captions', WORDY)).json().results[0];
  const words = caption.tokens.length;
  t.ok(words >= 1);

  t.test('sheet: PNG sized by sheetLayout(words + 1, panelSize)', async (t) => {
    for (const [panelSize, columns] of [[224, undefined], [96, 2]] as const) {
      const res = await post('/v1/overlays', { ...WORDY, panelSize: String(panelSize), ...(columns ? { columns: String(columns) } : {}) });
      t.equal(res.statusCode, 200, res.statusCode === 200 ? 'status 200' : res.body);
      t.equal(res.headers['content-type'], 'image/png');
      t.equal(decodeURIComponent(String(res.headers['x-caption'])), caption.caption);
      t.equal(res.headers['x-caption-words'], String(words));
      const meta = await sharp(res.rawPayload).metadata();
      const layout = sheetLayout(words + 1, panelSize, { columns });
      t.equal(meta.format, 'png');
      t.same([meta.width, meta.height], [layout.width, layout.height], `panelSize ${panelSize}, columns ${columns ?? 'auto'}`);
    }
  });

  t.test('single word: overlay at the image\'s size; JPEG; heatmap style', async (t) => {
    const res = await post('/v1/overlays', { ...WORDY, word: '0', format: 'jpeg', style: 'heatmap' });
    t.equal(res.statusCode, 200, res.statusCode === 200 ? 'status 200' : res.body);
    t.equal(res.headers['content-type'], 'image/jpeg');
    const meta = await sharp(res.rawPayload).metadata();
    t.same([meta.format, meta.width, meta.height], ['jpeg', 320, 240]);
  });

  t.test('sheet as JPEG, options via query', async (t) => {
    const q = new URLSearchParams({ ...WORDY, format: 'jpeg', panelSize: '64' });
    const form = await imageForm([photo]);
    const res = await app.inject({ method: 'POST', url: `/v1/overlays?${q}`, payload: form.payload, headers: form.headers });
    t.equal(res.statusCode, 200);
    const meta = await sharp(res.rawPayload).metadata();
    const layout = sheetLayout(words + 1, 64);
    t.same([meta.format, meta.width, meta.height], ['jpeg', layout.width, layout.height]);
  });

  t.test('word index out of range → 400 naming the word count', async (t) => {
    const res = await post('/v1/overlays', { ...WORDY, word: String(words) });
    t.equal(res.statusCode, 400);
    t.equal(res.json().error, 'invalid_option');
    t.match(res.json().message, `${words} word`);
  });
});

t.test('overlays over a real socket', { skip: skipWithoutModel }, async (t) => {
  const { app, base } = await listenLocal();
  t.teardown(() => app.close());
  const photo = await jpeg(200, 150);
  const caption = async (fields: Record<string, string>) => httpRequest(base, '/v1/captions', await imageForm([photo], fields));

  t.test('overlays: word=<text>, and single-word overlays at the image resolution up to 1024 px', async (t) => {
    const [r] = results(await caption({ beamSize: '1', maxLength: '5' }));
    const word = r.tokens[1].word;
    const byText = await httpRequest(base, `/v1/overlays?beamSize=1&maxLength=5&word=${encodeURIComponent(word)}`, await imageForm([photo]));
    t.equal(byText.status, 200, byText.body.slice(0, 200));
    const byIndex = await postBytes(`${base}/v1/overlays?beamSize=1&maxLength=5&word=${r.tokens.findIndex((x) => x.word === word)}`, await imageForm([photo]));
    t.same((await sharp(byIndex).metadata()).width, 200, 'at the image resolution');
    const missing = await httpRequest(base, '/v1/overlays?beamSize=1&maxLength=5&word=zebra', await imageForm([photo]));
    t.equal(missing.status, 400);
    t.match(error(missing).message, /"zebra" is not in the caption/);
    // A large image: capped at 1024 px on its longest side (docs/api.md).
    const big = await sharp({ create: { width: 1600, height: 800, channels: 3, background: { r: 90, g: 140, b: 60 } } }).jpeg().toBuffer();
    const capped = await postBytes(`${base}/v1/overlays?beamSize=1&maxLength=3&word=0`, await imageForm([big]));
    const m = await sharp(capped).metadata();
    t.same([m.width, m.height], [1024, 512]);
  });

  t.test('spotlight overlays stay readable: no pixel below 40% of its brightness', async (t) => {
    const grey = await sharp({ create: { width: 140, height: 105, channels: 3, background: { r: 200, g: 200, b: 200 } } }).png().toBuffer();
    const png = await postBytes(`${base}/v1/overlays?beamSize=1&maxLength=3&word=0&style=spotlight`, await imageForm([grey]));
    const { data } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    const min = data.reduce((m, v) => Math.min(m, v), 255);
    const max = data.reduce((m, v) => Math.max(m, v), 0);
    t.ok(min >= 79, `darkest pixel ${min} of 200`);
    t.ok(max - min > 10, `the map is visible (${min}..${max})`);
  });
});
