// POST /v1/overlays: contact sheets sized by sheetLayout, single-word overlays at image size.
import sharp from 'sharp';
import t from 'tap';
import { sheetLayout } from '../../src/render/layout.ts';
import { imageForm, jpeg, skipWithoutModel, testApp, WORDY } from '../helpers/server.ts';

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
