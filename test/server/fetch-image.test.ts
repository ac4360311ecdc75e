// Image URLs in JSON bodies (src/server/fetch-image.ts) over a real socket, against a local image
// host: only when enabled, allow-listed, size- and redirect-checked, private addresses refused.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { captionResults as results, errorBody as error, httpRequest, jpeg, jsonBody as json, listenLocal, skipWithoutModel, testConfig } from '../helpers/server.ts';

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

  const { app, base } = await listenLocal({ ALLOW_IMAGE_URLS: 'true', IMAGE_URL_ALLOWLIST: '127.0.0.1', IMAGE_URL_ALLOW_LOOPBACK: 'true', MAX_FILE_BYTES: '60000' });
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
  const strict = await listenLocal({ ALLOW_IMAGE_URLS: 'true', IMAGE_URL_ALLOWLIST: '127.0.0.1' });
  t.teardown(() => strict.app.close());
  const refused = await httpRequest(strict.base, '/v1/captions', url('/img.jpg'));
  t.equal(refused.status, 400);
  t.match(error(refused).message, /private/);
  t.throws(() => testConfig({ ALLOW_IMAGE_URLS: 'true' }), /IMAGE_URL_ALLOWLIST/, 'enabled without an allow-list: refused at start-up');
});
