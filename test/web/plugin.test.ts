import t from 'tap';
import Fastify from 'fastify';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONTENT_SECURITY_POLICY, loadAssets, webPlugin } from '../../src/web/plugin.ts';

async function app() {
  const a = Fastify();
  await a.register(webPlugin);
  await a.ready();
  return a;
}

t.test('GET / serves the page with versioned asset URLs, security headers and revalidation', async (t) => {
  const a = await app();
  t.teardown(() => a.close());
  const { version } = loadAssets();
  const res = await a.inject({ method: 'GET', url: '/' });
  t.equal(res.statusCode, 200);
  t.equal(res.headers['content-type'], 'text/html; charset=utf-8');
  t.equal(res.headers['cache-control'], 'no-cache');
  t.equal(res.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
  t.equal(res.headers['x-content-type-options'], 'nosniff');
  t.match(res.headers.etag, /^"[\w-]+"$/);
  t.notMatch(res.body, /\{\{ASSETS\}\}/, 'placeholder replaced');
  t.match(res.body, `/assets/${version}/app.js`);
  t.notMatch(res.body, /https?:\/\//, 'no external URLs (no CDN)');

  const again = await a.inject({ method: 'GET', url: '/', headers: { 'if-none-match': String(res.headers.etag) } });
  t.equal(again.statusCode, 304);
  t.equal(again.body, '');
  const head = await a.inject({ method: 'HEAD', url: '/' });
  t.equal(head.statusCode, 200);
});

t.test('assets: content types, immutable caching for the current version only, 404 JSON otherwise', async (t) => {
  const a = await app();
  t.teardown(() => a.close());
  const { version } = loadAssets();
  const types: Record<string, RegExp> = {
    'app.js': /^text\/javascript/, 'overlay.js': /^text\/javascript/, 'styles.css': /^text\/css/, 'favicon.svg': /^image\/svg\+xml/,
  };
  for (const [file, type] of Object.entries(types)) {
    const res = await a.inject({ method: 'GET', url: `/assets/${version}/${file}` });
    t.equal(res.statusCode, 200, file);
    t.match(res.headers['content-type'], type, `${file} content-type`);
    t.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable', `${file} cached for good`);
    t.ok(res.body.length > 0);
  }
  const stale = await a.inject({ method: 'GET', url: '/assets/0123456789ab/app.js' });
  t.equal(stale.statusCode, 200, 'an old version still gets the file');
  t.equal(stale.headers['cache-control'], 'no-cache', '…but may not cache it under the old URL');

  for (const url of [`/assets/${version}/nope.js`, `/assets/${version}/index.html`, `/assets/${version}/..%2fplugin.ts`]) {
    const res = await a.inject({ method: 'GET', url });
    t.equal(res.statusCode, 404, url);
    t.match(res.json(), { error: String, message: String });
  }
  const icon = await a.inject({ method: 'GET', url: '/favicon.ico' });
  t.equal(icon.statusCode, 200);
  t.match(icon.headers['content-type'], /^image\/svg\+xml/);
});

t.test('the page references only files that exist and modules import only local files', async (t) => {
  const a = await app();
  t.teardown(() => a.close());
  const html = (await a.inject({ method: 'GET', url: '/' })).body;
  const urls = [...html.matchAll(/(?:src|href)="([^"#]+)"/g)].map((m) => m[1]);
  t.ok(urls.length >= 4);
  for (const url of urls) t.equal((await a.inject({ method: 'GET', url })).statusCode, 200, url);
  const { files } = loadAssets();
  for (const [name, asset] of files) {
    if (!name.endsWith('.js')) continue;
    for (const m of asset.body.toString().matchAll(/^\s*import\s.*from\s+'([^']+)'/gm)) {
      t.match(m[1], /^\.\/[\w-]+\.js$/, `${name} imports ${m[1]}`);
      t.ok(files.has(m[1].slice(2)), `${m[1]} exists`);
    }
  }
});

t.test('routes are hidden from OpenAPI', async (t) => {
  const a = Fastify();
  const hidden: string[] = [];
  a.addHook('onRoute', (r) => {
    if ((r.schema as { hide?: boolean } | undefined)?.hide) hidden.push(`${r.method} ${r.url}`);
  });
  await a.register(webPlugin);
  await a.ready();
  t.teardown(() => a.close());
  t.ok(hidden.includes('GET /'));
  t.ok(hidden.includes('GET /assets/:version/:file'));
});

t.test('loadAssets: version follows content; a directory without index.html is an error', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'web-'));
  writeFileSync(join(dir, 'index.html'), '<script src="{{ASSETS}}/a.js"></script>');
  writeFileSync(join(dir, 'a.js'), 'export {}');
  writeFileSync(join(dir, 'notes.txt'), 'ignored');
  const v1 = loadAssets(dir);
  t.same([...v1.files.keys()], ['a.js'], 'unknown extensions are not served');
  t.equal(v1.index.body.toString(), `<script src="/assets/${v1.version}/a.js"></script>`);
  writeFileSync(join(dir, 'a.js'), 'export const x = 1;');
  t.not(loadAssets(dir).version, v1.version);
  const empty = mkdtempSync(join(tmpdir(), 'web-'));
  t.throws(() => loadAssets(empty), /no index\.html/);
});
