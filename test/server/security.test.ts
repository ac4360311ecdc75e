// The edge through a real HTTP server: API keys, rate limits, security headers, CORS.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import t from 'tap';
import { ConfigError, loadConfig, sha256Hex } from '../../src/server/config.ts';
import { cspDirectives } from '../../src/server/security.ts';
import { CONTENT_SECURITY_POLICY } from '../../src/web/plugin.ts';
import { imageForm, jpeg, skipWithoutModel, testApp } from '../helpers/server.ts';

const KEY_A = 'sat-test-key-alpha-4f9c2e';
const KEY_B = 'sat-test-key-bravo-81d7aa';
const METRICS_KEY = 'sat-test-metrics-key-55e1';

/** A listening app plus everything it logged. */
async function serve(env: Record<string, string>) {
  let logs = '';
  const logStream = new Writable({ write(chunk, _enc, done) { logs += chunk; done(); } });
  const { app } = await testApp(env, { logStream });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return { app, base, logs: () => logs };
}

const bearer = (k: string) => ({ authorization: `Bearer ${k}` });

t.test('config: keys are kept as digests; a bad key file fails at start-up without echoing it', async (t) => {
  const c = loadConfig({ API_KEYS: `${KEY_A}, sha256:${sha256Hex(KEY_B)}` });
  t.same(c.apiKeyHashes, [sha256Hex(KEY_A), sha256Hex(KEY_B)]);
  t.notOk(JSON.stringify(c).includes(KEY_A), 'the plain key is not in the config');
  const dir = mkdtempSync(join(tmpdir(), 'sat-keys-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'ok'), `# team keys\n${sha256Hex(KEY_A)}  # alice\n\nsha256:${sha256Hex(KEY_B).toUpperCase()}\n`);
  t.same(loadConfig({ API_KEYS_FILE: join(dir, 'ok') }).apiKeyHashes, [sha256Hex(KEY_A), sha256Hex(KEY_B)]);
  writeFileSync(join(dir, 'plain'), `${KEY_A}\n`);
  t.throws(() => loadConfig({ API_KEYS_FILE: join(dir, 'plain') }), ConfigError);
  try { loadConfig({ API_KEYS_FILE: join(dir, 'plain') }); } catch (err) {
    t.match((err as Error).message, /line 1: not a sha256 hex digest/);
    t.notOk((err as Error).message.includes(KEY_A), 'the offending line is not echoed');
  }
  t.throws(() => loadConfig({ API_KEYS_FILE: join(dir, 'missing') }), ConfigError);
  t.same(loadConfig({}).apiKeyHashes, [], 'off by default');
  t.equal(loadConfig({}).rateLimitMax, 0, 'no rate limit by default');
});

t.test('the helmet CSP is the web page\'s CSP', async (t) => {
  const d = cspDirectives();
  t.same(d['script-src'], ["'self'"]);
  t.same(d['img-src'], ["'self'", 'blob:', 'data:']);
  t.equal(Object.keys(d).length, CONTENT_SECURITY_POLICY.split(';').length);
});

t.test('API keys', { skip: skipWithoutModel }, async (t) => {
  const s = await serve({ API_KEYS: `${KEY_A},${KEY_B}`, METRICS_API_KEYS: METRICS_KEY, LOG_LEVEL: 'trace' });
  t.teardown(() => s.app.close());
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${s.base}${path}`, { headers });

  t.test('missing, malformed and wrong keys → 401 JSON with WWW-Authenticate', async (t) => {
    for (const [what, headers, message] of [
      ['no header', {}, /missing API key: send the header "Authorization: Bearer <key>"/],
      ['Basic scheme', { authorization: `Basic ${Buffer.from(`u:${KEY_A}`).toString('base64')}` }, /must be "Bearer <key>"/],
      ['wrong key', bearer(`${KEY_A}x`), /invalid API key/],
      ['empty bearer', { authorization: 'Bearer ' }, /must be "Bearer <key>"/],
    ] as const) {
      const res = await get('/v1/models', headers);
      t.equal(res.status, 401, what);
      t.match(res.headers.get('www-authenticate'), /^Bearer realm="show-attend-tell"/, what);
      const body = await res.json() as { error: string; message: string; requestId: string };
      t.equal(body.error, 'unauthorized', what);
      t.match(body.message, message, what);
      t.ok(body.requestId, 'request id');
    }
    const post = await imageForm([await jpeg()]);
    const res = await fetch(`${s.base}/v1/captions`, { method: 'POST', body: new Uint8Array(post.payload), headers: post.headers });
    t.equal(res.status, 401, 'uploads are refused before they are read');
    const unknown = await get('/v1/nothing-here');
    t.equal(unknown.status, 401, 'unknown /v1 routes too (no route probing without a key)');
  });

  t.test('right key → 200, on every /v1 route', async (t) => {
    for (const k of [KEY_A, KEY_B]) t.equal((await get('/v1/models', bearer(k))).status, 200);
    const form = await imageForm([await jpeg()], { beamSize: '1', maxLength: '4', includeMaps: 'false' });
    const res = await fetch(`${s.base}/v1/captions`, { method: 'POST', body: new Uint8Array(form.payload), headers: { ...form.headers, ...bearer(KEY_A) } });
    t.equal(res.status, 200, 'captions');
    t.equal(((await res.json()) as { results: unknown[] }).results.length, 1);
    t.equal((await get('/v1/models', { authorization: `bearer  ${KEY_A}` })).status, 200, 'scheme is case-insensitive');
  });

  t.test('health, readiness, page and docs stay open; /metrics has its own key', async (t) => {
    for (const p of ['/healthz', '/readyz', '/', '/openapi.json']) t.equal((await get(p)).status, 200, p);
    t.equal((await get('/metrics')).status, 401, '/metrics without its key');
    t.equal((await get('/metrics', bearer(KEY_A))).status, 401, 'an API key is not a metrics key');
    const m = await get('/metrics', bearer(METRICS_KEY));
    t.equal(m.status, 200);
    t.match(await m.text(), /http_requests_total|process_cpu/);
  });

  t.test('keys never appear in the logs', async (t) => {
    await new Promise((r) => setTimeout(r, 50)); // let pino flush
    const logs = s.logs();
    t.ok(logs.length > 1000, `logs were written (${logs.length} bytes)`);
    for (const k of [KEY_A, KEY_B, METRICS_KEY]) t.notOk(logs.includes(k), `key not logged${logs.includes(k) ? `: ${logs.split("\n").find((l) => l.includes(k))}` : ""}`);
    t.notOk(logs.includes(Buffer.from(`u:${KEY_A}`).toString('base64')), 'nor the Basic credentials');
  });
});

t.test('rate limit: a burst over the limit → 429 with Retry-After and RateLimit-*; per key', { skip: skipWithoutModel }, async (t) => {
  const s = await serve({ API_KEYS: `${KEY_A},${KEY_B}`, RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_MS: '60000' });
  t.teardown(() => s.app.close());
  const statuses: number[] = [];
  let last: Response | undefined;
  for (let i = 0; i < 5; i++) {
    last = await fetch(`${s.base}/v1/models`, { headers: bearer(KEY_A) });
    statuses.push(last.status);
    if (i === 0) {
      t.equal(last.headers.get('ratelimit-limit'), '3');
      t.equal(last.headers.get('ratelimit-remaining'), '2');
      t.ok(Number(last.headers.get('ratelimit-reset')) > 0, 'RateLimit-Reset');
    }
  }
  t.same(statuses, [200, 200, 200, 429, 429]);
  const retry = Number(last!.headers.get('retry-after'));
  t.ok(retry > 0 && retry <= 60, `Retry-After ${retry}`);
  t.equal(last!.headers.get('ratelimit-remaining'), '0');
  const body = await last!.json() as { error: string; message: string };
  t.equal(body.error, 'rate_limited');
  t.match(body.message, /at most 3 per 60 s per API key; retry in/);
  t.equal((await fetch(`${s.base}/v1/models`, { headers: bearer(KEY_B) })).status, 200, 'another key has its own budget');
  for (let i = 0; i < 5; i++) t.equal((await fetch(`${s.base}/healthz`)).status, 200, 'health checks are never limited');
  t.equal((await fetch(`${s.base}/v1/models`)).status, 401, 'no key: 401, not a counted request');
});

t.test('rate limit per client address when keys are off', { skip: skipWithoutModel }, async (t) => {
  const s = await serve({ RATE_LIMIT_MAX: '2' });
  t.teardown(() => s.app.close());
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push((await fetch(`${s.base}/v1/models`)).status);
  t.same(statuses, [200, 200, 429]);
  const res = await fetch(`${s.base}/v1/models`);
  t.match(((await res.json()) as { message: string }).message, /per client address/);
});

t.test('security headers on by default; CORS off by default, on for listed origins', { skip: skipWithoutModel }, async (t) => {
  const s = await serve({});
  t.teardown(() => s.app.close());
  for (const p of ['/', '/v1/models', '/healthz']) {
    const res = await fetch(`${s.base}${p}`, { headers: { origin: 'https://elsewhere.example' } });
    t.equal(res.headers.get('content-security-policy')?.replace(/;\s*/g, '; '), CONTENT_SECURITY_POLICY, `${p}: CSP`);
    t.equal(res.headers.get('x-content-type-options'), 'nosniff', `${p}: nosniff`);
    t.equal(res.headers.get('x-frame-options'), 'DENY', `${p}: frame options`);
    t.equal(res.headers.get('referrer-policy'), 'no-referrer', `${p}: referrer policy`);
    t.equal(res.headers.get('cross-origin-opener-policy'), 'same-origin');
    t.equal(res.headers.get('access-control-allow-origin'), null, `${p}: no CORS by default`);
  }
  const docs = await fetch(`${s.base}/docs/static/index.html`);
  t.match(docs.headers.get('content-security-policy'), /style-src 'self' 'unsafe-inline'/, 'Swagger UI gets inline styles, nothing more');
  t.match(docs.headers.get('content-security-policy'), /script-src 'self'(;|$)/);

  const off = await serve({ SECURITY_HEADERS: 'false' });
  t.teardown(() => off.app.close());
  t.equal((await fetch(`${off.base}/v1/models`)).headers.get('content-security-policy'), null, 'SECURITY_HEADERS=false turns them off');

  const c = await serve({ CORS_ORIGINS: 'https://app.example, https://other.example', API_KEYS: KEY_A });
  t.teardown(() => c.app.close());
  const pre = await fetch(`${c.base}/v1/captions`, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' } });
  t.equal(pre.status, 204, 'preflight answered without a key');
  t.equal(pre.headers.get('access-control-allow-origin'), 'https://app.example');
  t.match(pre.headers.get('access-control-allow-headers'), /authorization/);
  const denied = await fetch(`${c.base}/v1/models`, { headers: { origin: 'https://app.example' } });
  t.equal(denied.status, 401);
  t.equal(denied.headers.get('access-control-allow-origin'), 'https://app.example', 'a 401 is readable cross-origin');
  const foreign = await fetch(`${c.base}/v1/models`, { headers: { origin: 'https://evil.example', ...bearer(KEY_A) } });
  t.equal(foreign.headers.get('access-control-allow-origin'), null, 'unlisted origin: no CORS header');
});
