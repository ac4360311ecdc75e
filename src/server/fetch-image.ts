// Fetches an image URL for a JSON upload, defensively: only allow-listed hosts, never a private
// or link-local address (checked on the resolved IP, so DNS cannot smuggle one in), every
// redirect re-checked, a byte cap and one deadline for the whole fetch.
import { lookup as dnsLookup } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { HttpError } from './errors.ts';

export interface UrlFetchOptions {
  allowlist: string[];
  maxBytes: number;
  timeoutMs: number;
  allowLoopback: boolean;
  maxRedirects?: number;
}

const PRIVATE = new BlockList();
for (const [net, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 3]] as const) PRIVATE.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [['::', 127], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) PRIVATE.addSubnet(net, bits, 'ipv6');
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Whether an IP may be contacted (IPv4-mapped IPv6 is judged as the IPv4 it carries). */
export function addressAllowed(ip: string, allowLoopback: boolean): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  const addr = mapped ?? ip;
  const family = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
  if (allowLoopback && LOOPBACK.check(addr, family)) return true;
  return !PRIVATE.check(addr, family);
}

const fail = (message: string) => new HttpError(400, 'url_fetch_failed', message);

function hostAllowed(host: string, allowlist: string[]): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return allowlist.some((a) => (a.startsWith('.') ? h.endsWith(a) || h === a.slice(1) : h === a));
}

export async function fetchImage(url: string, o: UrlFetchOptions): Promise<Buffer> {
  const deadline = AbortSignal.timeout(o.timeoutMs);
  let current = url;
  for (let hop = 0; hop <= (o.maxRedirects ?? 3); hop++) {
    const res = await fetchOnce(current, o, deadline);
    if (res.redirect === undefined) return res.body!;
    current = res.redirect;
  }
  throw fail(`${url}: more than ${o.maxRedirects ?? 3} redirects`);
}

function fetchOnce(raw: string, o: UrlFetchOptions, signal: AbortSignal): Promise<{ body?: Buffer; redirect?: string }> {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw fail(`not a valid URL: ${JSON.stringify(raw.slice(0, 200))}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw fail(`${u.protocol} URLs are not fetched (http and https only)`);
  if (u.username || u.password) throw fail('URLs with credentials are not fetched');
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) && !addressAllowed(host, o.allowLoopback)) throw fail(`${u.host} is a private or reserved address: not fetched`);
  if (!hostAllowed(host, o.allowlist)) throw fail(`host ${u.host} is not on the server's image URL allow-list`);
  // Checked after DNS resolution too: an allowed name must not resolve to a private address.
  const lookup: LookupFunction = (hostname, options, cb) => {
    dnsLookup(hostname, { ...options, all: false }, (err, address, family) => {
      if (err) return cb(err, address, family);
      if (!addressAllowed(String(address), o.allowLoopback)) return cb(Object.assign(new Error(`${hostname} resolves to a private address (${address})`), { code: 'EPRIVATE' }), address, family);
      cb(null, address, family);
    });
  };
  const lib = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const onAbort = () => { req.destroy(); reject(new HttpError(504, 'url_timeout', `fetching ${u.origin} took longer than ${o.timeoutMs} ms`)); };
    const req = lib.get(u, { lookup, signal: undefined, headers: { accept: 'image/*', 'user-agent': 'show-attend-tell' } }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        signal.removeEventListener('abort', onAbort);
        return resolve({ redirect: new URL(res.headers.location, u).toString() });
      }
      if (status !== 200) {
        res.resume();
        signal.removeEventListener('abort', onAbort);
        return reject(fail(`${u.origin}${u.pathname} answered HTTP ${status}`));
      }
      const declared = Number(res.headers['content-length'] ?? NaN);
      if (declared > o.maxBytes) {
        req.destroy();
        signal.removeEventListener('abort', onAbort);
        return reject(new HttpError(413, 'file_too_large', `${u.origin}${u.pathname} is ${declared} bytes, the limit is ${o.maxBytes} bytes (MAX_FILE_BYTES)`));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > o.maxBytes) {
          req.destroy();
          signal.removeEventListener('abort', onAbort);
          reject(new HttpError(413, 'file_too_large', `${u.origin}${u.pathname} is larger than the limit of ${o.maxBytes} bytes (MAX_FILE_BYTES)`));
        } else chunks.push(c);
      });
      res.on('end', () => { signal.removeEventListener('abort', onAbort); resolve({ body: Buffer.concat(chunks) }); });
      res.on('error', (e) => reject(fail(`${u.origin}: ${e.message}`)));
    });
    req.on('error', (e) => {
      signal.removeEventListener('abort', onAbort);
      reject((e as { code?: string }).code === 'EPRIVATE' ? fail(e.message) : fail(`${u.origin}: ${e.message}`));
    });
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}
