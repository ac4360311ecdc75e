// Bad input of every kind gets the right 4xx JSON and the server keeps answering.
import t from 'tap';
import { ErrorBodySchema } from '../../src/server/schemas.ts';
import { errorBody as error, httpRequest, imageForm, jpeg, listenLocal, multipart, pngBomb, skipWithoutModel, testApp } from '../helpers/server.ts';

t.test('bad inputs', { skip: skipWithoutModel }, async (t) => {
  const { app } = await testApp({ MAX_FILE_BYTES: String(200 * 1024), MAX_FILES: '3', MAX_PIXELS: '4000000' });
  t.teardown(() => app.close());
  const good = await jpeg(320, 240);

  const expectError = async (name: string, res: { statusCode: number; headers: Record<string, unknown>; json: () => unknown; body: string }, status: number, code: string, message?: RegExp) => {
    t.test(name, async (t) => {
      t.equal(res.statusCode, status, `status (${res.body.slice(0, 200)})`);
      t.match(String(res.headers['content-type']), /application\/json/);
      const body = ErrorBodySchema.parse(res.json());
      t.equal(body.error, code);
      t.ok(body.message.length > 0);
      if (message) t.match(body.message, message);
      t.notMatch(res.body, /at .*\.ts:\d+/, 'no stack trace');
      const health = await app.inject('/healthz');
      t.equal(health.statusCode, 200, 'still alive');
    });
  };
  const upload = async (parts: Parameters<typeof multipart>[0], url = '/v1/captions') => {
    const form = await multipart(parts);
    return app.inject({ method: 'POST', url, payload: form.payload, headers: form.headers });
  };
  const withImage = async (data: Buffer, fields: Record<string, string> = {}, url = '/v1/captions') => {
    const form = await imageForm([data], fields);
    return app.inject({ method: 'POST', url, payload: form.payload, headers: form.headers });
  };

  // Not images
  await expectError('zero-byte file', await withImage(Buffer.alloc(0)), 415, 'unsupported_image');
  await expectError('random bytes', await withImage(Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 251))), 415, 'unsupported_image');
  await expectError('truncated JPEG', await withImage((await jpeg(640, 480)).subarray(0, 4000)), 415, 'unsupported_image');
  await expectError('text file', await withImage(Buffer.from('hello, I am not a picture\n')), 415, 'unsupported_image');
  await expectError('SVG (vector, refused)', await withImage(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><rect width="100" height="100" fill="red"/></svg>')), 415, 'unsupported_image', /svg/i);
  await expectError('pixel bomb: 20000×20000 PNG', await withImage(pngBomb(20000, 20000)), 413, 'image_too_large', /pixel/);
  await expectError('one bad image among good ones names it', await (async () => {
    const form = await imageForm([good, Buffer.from('junk')]);
    return app.inject({ method: 'POST', url: '/v1/captions', payload: form.payload, headers: form.headers });
  })(), 415, 'unsupported_image', /image 1 \(img1\.bin\)/);

  // Upload shape
  await expectError('wrong field name', await upload([{ name: 'photo', data: good, filename: 'a.jpg' }]), 400, 'unexpected_field', /"photo"/);
  await expectError('no file, only options', await upload([{ name: 'beamSize', data: '2' }]), 400, 'no_image');
  await expectError('image sent as a text field', await upload([{ name: 'image', data: 'abc' }]), 400, 'image_not_a_file');
  await expectError('too many files', await (async () => {
    const form = await imageForm([good, good, good, good]);
    return app.inject({ method: 'POST', url: '/v1/captions', payload: form.payload, headers: form.headers });
  })(), 413, 'too_many_files', /at most 3/);
  await expectError('file over the size limit', await withImage(Buffer.concat([good, Buffer.alloc(300 * 1024)])), 413, 'file_too_large');
  await expectError('JSON body without images', await app.inject({ method: 'POST', url: '/v1/captions', payload: { image: 'x' } }), 400, 'bad_json');
  await expectError('octet-stream body', await app.inject({ method: 'POST', url: '/v1/captions', payload: good, headers: { 'content-type': 'application/octet-stream' } }), 400, 'not_multipart');
  await expectError('no body at all', await app.inject({ method: 'POST', url: '/v1/captions' }), 400, 'not_multipart');
  await expectError('malformed multipart', await app.inject({ method: 'POST', url: '/v1/captions', payload: '--xyz\r\nContent-Disposition: form-data; name="image"; filename="a"\r\n\r\nabc', headers: { 'content-type': 'multipart/form-data; boundary=xyz' } }), 400, 'bad_multipart');
  await expectError('overlays take one image', await (async () => {
    const form = await imageForm([good, good]);
    return app.inject({ method: 'POST', url: '/v1/overlays', payload: form.payload, headers: form.headers });
  })(), 413, 'too_many_files', /at most 1/);

  // Options
  await expectError('beamSize 0', await withImage(good, { beamSize: '0' }), 400, 'invalid_option', /beamSize/);
  await expectError('beamSize 1000', await withImage(good, { beamSize: '1000' }), 400, 'invalid_option', /beamSize/);
  await expectError('maxLength -1 (query)', await app.inject({ method: 'POST', url: '/v1/captions?maxLength=-1', ...(await imageForm([good])) }), 400, 'invalid_option', /maxLength/);
  await expectError("attention 'medium'", await withImage(good, { attention: 'medium' }), 400, 'invalid_option', /attention/);
  await expectError('beamSize not a number', await withImage(good, { beamSize: 'three' }), 400, 'invalid_option', /beamSize/);
  await expectError('unknown option (typo)', await withImage(good, { beamsize: '2' }), 400, 'invalid_option', /beamsize/);
  await expectError('option given twice', await app.inject({ method: 'POST', url: '/v1/captions?seed=1&seed=2', ...(await imageForm([good])) }), 400, 'duplicate_field', /seed/);
  await expectError('overlay format gif', await withImage(good, { format: 'gif' }, '/v1/overlays'), 400, 'invalid_option', /format/);
  await expectError('overlay option on /v1/captions', await withImage(good, { format: 'png' }), 400, 'invalid_option', /format/);

  // Routing
  await expectError('unknown route', await app.inject('/v2/everything'), 404, 'not_found');
  await expectError('wrong method on a POST route', await app.inject({ method: 'GET', url: '/v1/captions' }), 405, 'method_not_allowed');
  await expectError('wrong method on a GET route', await app.inject({ method: 'DELETE', url: '/healthz' }), 405, 'method_not_allowed');
  t.test('405 carries Allow', async (t) => {
    t.equal((await app.inject({ method: 'PUT', url: '/v1/overlays' })).headers.allow, 'POST');
  });

  // hard attention when only a soft decoder is loaded
  t.test('attention=hard without a hard decoder → 400 model_unavailable', async (t) => {
    const res = await withImage(good, { attention: 'hard' });
    if (res.statusCode === 200) return t.pass('a hard decoder is loaded here');
    t.equal(res.statusCode, 400);
    t.equal(res.json().error, 'model_unavailable');
  });

  t.test('request ids: echoed when safe, replaced when not', async (t) => {
    t.equal((await app.inject({ url: '/nope', headers: { 'x-request-id': 'abc-123' } })).json().requestId, 'abc-123');
    const res = await app.inject({ url: '/nope', headers: { 'x-request-id': 'evil\u001b[31m id' } });
    t.not(res.json().requestId, 'evil\u001b[31m id');
    t.equal(res.headers['x-request-id'], res.json().requestId);
  });

  t.test('still captions fine after all that', async (t) => {
    t.equal((await withImage(good, { beamSize: '1' })).statusCode, 200);
  });
});

t.test('errors name images 0-based (over a real socket)', { skip: skipWithoutModel }, async (t) => {
  const { app, base } = await listenLocal();
  t.teardown(() => app.close());
  const photo = await jpeg(200, 150);
  const res = await httpRequest(base, '/v1/captions', await imageForm([photo, Buffer.from('not an image')], { beamSize: '1' }));
  t.equal(res.status, 415);
  t.match(error(res).message, /^image 1 \(img1\.bin\)/);
});
