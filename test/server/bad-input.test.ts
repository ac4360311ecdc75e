// Bad (and odd-but-valid) input through the REAL listening server with inference in a worker
// thread, over real sockets (node:http / net), not inject. Every kind gets the right status and
// JSON body, and afterwards the server still answers /healthz and captions normally, with no
// queue slot leaked and no worker restarted.
//
// Kinds covered (expected outcome):
//   Not images / broken images
//    1. zero-byte file                                  → 415 unsupported_image
//    2. truncated JPEG                                  → 415 unsupported_image
//    3. truncated PNG                                   → 415 unsupported_image
//    4. random bytes named photo.jpg                    → 415 unsupported_image
//    5. plain text                                      → 415 unsupported_image
//    6. HTML page                                       → 415 unsupported_image
//    7. PDF document                                    → 415 unsupported_image
//    8. SVG (vector, refused)                           → 415 unsupported_image
//    9. HEIC-looking container (ftyp heic + junk)       → 415 unsupported_image
//   10. decompression bomb (20000×20000 PNG, ~50 kB)    → 413 image_too_large
//   Odd but valid images (→ 200, dimensions checked)
//   11. 1×1 pixel
//   12. extreme aspect ratio 4000×10
//   13. extreme aspect ratio 10×4000
//   14. 16-bit PNG (rgb16)
//   15. CMYK JPEG
//   16. grayscale PNG
//   17. RGBA PNG with transparency
//   18. palette PNG
//   19. animated GIF (2 frames: first frame used)
//   20. animated WebP (2 frames: first frame used)
//   21. AVIF (200, or a clear 415 where libvips lacks AV1)
//   22. EXIF orientation 6 (dimensions swapped)
//   23. TIFF
//   Upload shape
//   24. wrong field name                               → 400 unexpected_field
//   25. no file (options only)                         → 400 no_image
//   26. too many files                                 → 413 too_many_files
//   27. file over the size limit                       → 413 file_too_large
//   28. JSON body without "images"                    → 400 bad_json
//   29. raw body (Content-Type: image/jpeg), not an image → 415 unsupported_image
//   30. malformed multipart (no closing boundary)      → 400 bad_multipart
//   Options
//   31. beamSize 0                                     → 400 invalid_option
//   32. beamSize 1000                                  → 400 invalid_option
//   33. maxLength -1                                   → 400 invalid_option
//   34. attention 'medium'                             → 400 invalid_option
//   Routing
//   35. unknown route                                  → 404 not_found
//   36. wrong method (DELETE /v1/captions)             → 405 method_not_allowed + Allow
//   Misbehaving clients
//   37. slow client that never finishes its upload    → 408 request_timeout, connection closed
//   38. client disconnecting mid-upload               → server survives, no queue slot leaked
//   39. client disconnecting while its caption runs   → slot freed when the worker finishes
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import sharp from 'sharp';
import t from 'tap';
import { ErrorBodySchema } from '../../src/server/schemas.ts';
import { httpRequest, img, imageForm, jpeg, listeningWorkerApp, multipart, png, pngBomb, rawImage, skipWithoutModel, type RawResponse } from '../helpers/server.ts';

const KINDS = readFileSync(new URL(import.meta.url), 'utf8').split('\n').filter((l) => /^\/\/\s+\d+\. /.test(l)).map((l) => l.replace(/^\/\/\s+/, ''));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('bad-input matrix over a real socket', { skip: skipWithoutModel }, async (t) => {
  t.comment(`${KINDS.length} kinds:\n${KINDS.join('\n')}`);
  t.ok(KINDS.length >= 25, `${KINDS.length} kinds covered`);
  const srv = await listeningWorkerApp({ MAX_FILE_BYTES: String(256 * 1024), MAX_FILES: '3', MAX_PIXELS: '4000000', BODY_TIMEOUT_MS: '800' });
  t.teardown(srv.close);
  const base = srv.base;
  const good = await jpeg(320, 240);
  const fast = { beamSize: '1', maxLength: '3' };

  const send = async (images: Buffer[], fields: Record<string, string> = fast, query = '') => httpRequest(base, `/v1/captions${query}`, await imageForm(images, fields));
  const file = async (data: Buffer, filename: string, fields: Record<string, string> = fast) =>
    httpRequest(base, '/v1/captions', await multipart([{ name: 'image', data, filename }, ...Object.entries(fields).map(([name, v]) => ({ name, data: v }))]));

  const expectError = (name: string, res: RawResponse, status: number, code: string, message?: RegExp) => {
    t.test(name, async (t) => {
      t.equal(res.status, status, `status (${res.body.slice(0, 200)})`);
      t.match(String(res.headers['content-type']), /application\/json/);
      const body = ErrorBodySchema.parse(JSON.parse(res.body));
      t.equal(body.error, code);
      if (message) t.match(body.message, message);
      t.notMatch(res.body, /at .*\.ts:\d+/, 'no stack trace');
      t.equal((await httpRequest(base, '/healthz', null)).status, 200, 'still alive');
    });
  };
  const expectImage = (name: string, res: RawResponse, image: { width: number; height: number; format?: string }) => {
    t.test(name, async (t) => {
      t.equal(res.status, 200, `status (${res.body.slice(0, 200)})`);
      const [r] = JSON.parse(res.body).results;
      t.match(r.image, image);
      t.equal(typeof r.caption, 'string');
    });
  };

  // ---- not images / broken images
  expectError('1. zero-byte file', await send([Buffer.alloc(0)]), 415, 'unsupported_image');
  expectError('2. truncated JPEG', await send([(await jpeg(640, 480)).subarray(0, 3000)]), 415, 'unsupported_image');
  expectError('3. truncated PNG', await send([(await png(640, 480)).subarray(0, 3000)]), 415, 'unsupported_image');
  expectError('4. random bytes named photo.jpg', await file(Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256)), 'photo.jpg'), 415, 'unsupported_image');
  expectError('5. plain text', await file(Buffer.from('just some words\n'), 'notes.txt'), 415, 'unsupported_image');
  expectError('6. HTML', await file(Buffer.from('<!doctype html><html><body><img src=x onerror=alert(1)></body></html>'), 'page.html'), 415, 'unsupported_image');
  expectError('7. PDF', await file(Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n'), 'doc.pdf'), 415, 'unsupported_image');
  expectError('8. SVG', await file(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64"/></svg>'), 'a.svg'), 415, 'unsupported_image', /svg/i);
  expectError('9. HEIC-looking container', await file(Buffer.concat([Buffer.from('\0\0\0\x18ftypheic\0\0\0\0mif1heic', 'latin1'), Buffer.alloc(2000, 7)]), 'a.heic'), 415, 'unsupported_image');
  expectError('10. decompression bomb 20000×20000', await send([pngBomb(20000, 20000)]), 413, 'image_too_large', /pixel/);

  // ---- odd but valid images
  const frames = [await img(64, 48).png().toBuffer(), await img(64, 48).negate().png().toBuffer()];
  expectImage('11. 1×1', await send([await jpeg(1, 1)]), { width: 1, height: 1 });
  expectImage('12. 4000×10', await send([await jpeg(4000, 10)]), { width: 4000, height: 10 });
  expectImage('13. 10×4000', await send([await jpeg(10, 4000)]), { width: 10, height: 4000 });
  const png16 = await img(80, 60).toColourspace('rgb16').png().toBuffer();
  t.equal((await sharp(png16).metadata()).depth, 'ushort', 'fixture: really 16-bit');
  expectImage('14. 16-bit PNG', await send([png16]), { width: 80, height: 60, format: 'png' });
  const cmyk = await img(80, 60).toColourspace('cmyk').jpeg().toBuffer();
  t.equal((await sharp(cmyk).metadata()).space, 'cmyk', 'fixture: really CMYK');
  expectImage('15. CMYK JPEG', await send([cmyk]), { width: 80, height: 60, format: 'jpeg' });
  expectImage('16. grayscale', await send([await img(80, 60).grayscale().png().toBuffer()]), { width: 80, height: 60 });
  expectImage('17. alpha', await send([await sharp(rawImage(80, 60), { raw: { width: 80, height: 60, channels: 3 } }).ensureAlpha(0.2).png().toBuffer()]), { width: 80, height: 60 });
  const palette = await img(80, 60).png({ palette: true }).toBuffer();
  t.equal((await sharp(palette).metadata()).isPalette, true, 'fixture: really palette');
  expectImage('18. palette PNG', await send([palette]), { width: 80, height: 60 });
  const gif = await sharp(frames, { join: { animated: true } }).gif().toBuffer();
  t.equal((await sharp(gif).metadata()).pages, 2, 'fixture: GIF has 2 frames');
  expectImage('19. animated GIF (first frame)', await send([gif]), { width: 64, height: 48, format: 'gif' });
  const webp = await sharp(frames, { join: { animated: true } }).webp().toBuffer();
  t.equal((await sharp(webp).metadata()).pages, 2, 'fixture: WebP has 2 frames');
  expectImage('20. animated WebP (first frame)', await send([webp]), { width: 64, height: 48, format: 'webp' });
  const avif = await img(80, 60).avif().toBuffer().catch(() => null);
  if (avif) {
    const res = await send([avif]);
    t.test('21. AVIF', async (t) => {
      if (res.status === 200) t.match(JSON.parse(res.body).results[0].image, { width: 80, height: 60, format: 'heif' });
      else {
        t.equal(res.status, 415);
        t.match(JSON.parse(res.body), { error: 'unsupported_image', message: /heif|avif|decode/i });
      }
    });
  } else t.comment('21. AVIF: skipped, this libvips cannot write AVIF');
  expectImage('22. EXIF orientation 6', await send([await img(160, 120).jpeg().withMetadata({ orientation: 6 }).toBuffer()]), { width: 120, height: 160 });
  expectImage('23. TIFF', await send([await img(80, 60).tiff().toBuffer()]), { width: 80, height: 60, format: 'tiff' });

  // ---- upload shape
  expectError('24. wrong field name', await httpRequest(base, '/v1/captions', await multipart([{ name: 'photo', data: good, filename: 'a.jpg' }])), 400, 'unexpected_field', /"photo"/);
  expectError('25. no file', await httpRequest(base, '/v1/captions', await multipart([{ name: 'beamSize', data: '2' }])), 400, 'no_image');
  expectError('26. too many files', await send([good, good, good, good]), 413, 'too_many_files', /at most 3/);
  expectError('27. file over the size limit', await send([Buffer.concat([good, Buffer.alloc(300 * 1024)])]), 413, 'file_too_large');
  expectError('28. JSON body', await httpRequest(base, '/v1/captions', { payload: Buffer.from('{"image":"aGVsbG8="}'), headers: { 'content-type': 'application/json' } }), 400, 'bad_json', /images/);
  expectError('29. raw body, not an image', await httpRequest(base, '/v1/captions', { payload: Buffer.from('GIF89a? no, just text'), headers: { 'content-type': 'image/jpeg' } }), 415, 'unsupported_image');
  expectError('30. malformed multipart', await httpRequest(base, '/v1/captions', { payload: Buffer.from('--xyz\r\nContent-Disposition: form-data; name="image"; filename="a"\r\n\r\nabc'), headers: { 'content-type': 'multipart/form-data; boundary=xyz' } }), 400, 'bad_multipart');

  // ---- options
  expectError('31. beamSize 0', await send([good], { beamSize: '0' }), 400, 'invalid_option', /beamSize/);
  expectError('32. beamSize 1000', await send([good], { beamSize: '1000' }), 400, 'invalid_option', /beamSize/);
  expectError('33. maxLength -1', await send([good], {}, '?maxLength=-1'), 400, 'invalid_option', /maxLength/);
  expectError("34. attention 'medium'", await send([good], { attention: 'medium' }), 400, 'invalid_option', /attention/);

  // ---- routing
  expectError('35. unknown route', await httpRequest(base, '/v2/everything', null), 404, 'not_found');
  const wrongMethod = await httpRequest(base, '/v1/captions', null, undefined, 'DELETE');
  expectError('36. wrong method', wrongMethod, 405, 'method_not_allowed');
  t.equal(wrongMethod.headers.allow, 'POST', '405 carries Allow');

  // ---- misbehaving clients
  t.test('37. slow client that never finishes its upload → 408 and the socket closed', async (t) => {
    const sock = net.connect(Number(new URL(base).port), '127.0.0.1');
    let got = '';
    sock.on('data', (c) => { got += c; });
    const closed = new Promise((r) => sock.on('close', r));
    sock.write('POST /v1/captions HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n--b\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\n\r\n');
    sock.write(good.subarray(0, 1000)); // ... and then nothing more
    const t0 = Date.now();
    await closed;
    t.ok(Date.now() - t0 < 5000, `closed after ${Date.now() - t0} ms`);
    t.match(got, /^HTTP\/1\.1 408/);
    t.match(got, /"error":"request_timeout"/);
    t.same(srv.captioner.queue.stats(), { running: 0, waiting: 0, capacity: 8, maxQueue: 16 });
  });

  t.test('38. client disconnecting mid-upload: server survives, nothing leaked', async (t) => {
    for (let i = 0; i < 5; i++) {
      const sock = net.connect(Number(new URL(base).port), '127.0.0.1');
      sock.on('error', () => {});
      await new Promise((r) => sock.on('connect', r));
      sock.write(`POST /v1/captions HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: ${good.length + 500}\r\n\r\n--b\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\n\r\n`);
      sock.write(good.subarray(0, good.length >> 1));
      await sleep(50);
      sock.destroy();
    }
    await sleep(200);
    t.same(srv.captioner.queue.stats(), { running: 0, waiting: 0, capacity: 8, maxQueue: 16 }, 'no queue slot taken');
    t.equal((await httpRequest(base, '/healthz', null)).status, 200);
  });

  t.test('39. client disconnecting while its caption runs: the slot frees when the worker finishes', async (t) => {
    const form = await imageForm([good, good, good], { beamSize: '10', maxLength: '20' });
    const req = http.request(`${base}/v1/captions`, { method: 'POST', headers: form.headers });
    req.on('error', () => {});
    req.end(form.payload);
    const t0 = Date.now();
    while (srv.captioner.queue.stats().running === 0 && Date.now() - t0 < 5000) await sleep(5);
    t.equal(srv.captioner.queue.stats().running, 1, 'captioning');
    req.destroy();
    while (srv.captioner.queue.stats().running > 0 && Date.now() - t0 < 30_000) await sleep(20);
    t.same(srv.captioner.queue.stats(), { running: 0, waiting: 0, capacity: 8, maxQueue: 16 }, 'slot released');
    t.equal(srv.captioner.workerStats()[0].state, 'idle');
  });

  t.test('afterwards: /healthz, /readyz and a normal caption; no worker restarted', async (t) => {
    t.equal((await httpRequest(base, '/healthz', null)).status, 200);
    const ready = await httpRequest(base, '/readyz', null);
    t.equal(ready.status, 200);
    t.equal(JSON.parse(ready.body).workers[0].restarts, 0, 'bad input never crashed the worker');
    const res = await send([good], { beamSize: '3' });
    t.equal(res.status, 200);
    t.same(JSON.parse(res.body).results[0].image, { width: 320, height: 240, format: 'jpeg' });
  });
});
