// The edge: API keys on /v1 (and optionally /metrics), rate limits per key or client address,
// helmet security headers with the page's strict CSP, and opt-in CORS. All off by default except
// the headers, which change nothing for a same-origin page.
import { createHash, timingSafeEqual } from 'node:crypto';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Redis } from 'ioredis';
import { CONTENT_SECURITY_POLICY } from '../web/plugin.ts';
import type { ServerConfig } from './config.ts';
import { HttpError } from './errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Short, non-reversible id of the caller's API key (a digest prefix), when keys are on. */
    apiKeyId?: string;
  }
}

/** The /v1 API: what keys and rate limits guard (health, page, docs and metrics stay apart). */
export const isApiPath = (url: string) => url === '/v1' || url.startsWith('/v1/') || url.startsWith('/v1?');

const REALM = 'Bearer realm="show-attend-tell"';

/** The CSP of the web page as helmet directives, so there is one policy, defined in one place. */
export function cspDirectives(policy = CONTENT_SECURITY_POLICY): Record<string, string[]> {
  return Object.fromEntries(policy.split(';').map((d) => d.trim()).filter(Boolean).map((d) => {
    const [name, ...values] = d.split(/\s+/);
    return [name, values];
  }));
}

/**
 * Checks `Authorization: Bearer <key>` against sha256 digests. Every digest is compared (in
 * constant time) whether or not an earlier one matched, so timing tells nothing about the keys.
 */
export function authenticate(header: string | undefined, digests: Buffer[], what: string): string {
  if (!header) throw new HttpError(401, 'unauthorized', `missing ${what} key: send the header "Authorization: Bearer <key>"`, { 'www-authenticate': REALM });
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  if (!m) throw new HttpError(401, 'unauthorized', 'the Authorization header must be "Bearer <key>"', { 'www-authenticate': `${REALM}, error="invalid_request"` });
  const presented = createHash('sha256').update(m[1], 'utf8').digest();
  let match = -1;
  for (let i = 0; i < digests.length; i++) if (timingSafeEqual(presented, digests[i]) && match < 0) match = i;
  if (match < 0) throw new HttpError(401, 'unauthorized', `invalid ${what} key`, { 'www-authenticate': `${REALM}, error="invalid_token"` });
  return digests[match].toString('hex').slice(0, 12);
}

export interface SecurityOptions {
  config: ServerConfig;
}

/**
 * Registered first, at the root (not encapsulated), so its hooks run before every route's:
 * CORS (so even a 401/429 is readable cross-origin), helmet, the key check, then the limiter.
 */
async function security(app: FastifyInstance, { config }: SecurityOptions): Promise<void> {
  if (config.corsOrigins.length) {
    await app.register(cors, {
      origin: config.corsOrigins.includes('*') ? '*' : config.corsOrigins,
      methods: ['GET', 'HEAD', 'POST', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type', 'accept', 'x-request-id'],
      exposedHeaders: ['x-request-id', 'retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'x-caption', 'x-caption-words', 'location'],
      maxAge: 600,
    });
  }

  if (config.securityHeaders) {
    const directives = cspDirectives();
    // Swagger UI (/docs) sets inline style attributes; its scripts are still same-origin only.
    app.addHook('onRoute', (route) => {
      if (route.url.startsWith('/docs')) (route as { helmet?: unknown }).helmet = { contentSecurityPolicy: { useDefaults: false, directives: { ...directives, 'style-src': ["'self'", "'unsafe-inline'"] } } };
    });
    await app.register(helmet, {
      contentSecurityPolicy: { useDefaults: false, directives },
      // A plain-HTTP local service must not pin browsers to HTTPS; a TLS proxy in front sets HSTS.
      strictTransportSecurity: false,
      frameguard: { action: 'deny' }, // as the CSP's frame-ancestors 'none'
    });
  }

  const apiKeys = config.apiKeyHashes.map((h) => Buffer.from(h, 'hex'));
  const metricsKeys = config.metricsKeyHashes.map((h) => Buffer.from(h, 'hex'));
  if (apiKeys.length || metricsKeys.length) {
    app.addHook('onRequest', async (req) => {
      if (req.method === 'OPTIONS') return; // CORS preflights carry no credentials
      const path = req.url.split('?')[0];
      if (apiKeys.length && isApiPath(path)) req.apiKeyId = authenticate(req.headers.authorization, apiKeys, 'API');
      else if (metricsKeys.length && path === '/metrics') authenticate(req.headers.authorization, metricsKeys, 'metrics');
    });
  }

  if (config.rateLimitMax > 0) {
    // With Redis the counters are shared, so N replicas enforce one limit, not N of them.
    const redis = config.redisUrl ? new Redis(config.redisUrl, { connectTimeout: 2000, maxRetriesPerRequest: 1 }) : undefined;
    redis?.on('error', (err) => app.log.warn({ err: err.message }, 'rate-limit store (redis) unavailable: counting skipped'));
    if (redis) app.addHook('onClose', async () => { redis.disconnect(); });
    const perKey = apiKeys.length > 0;
    await app.register(rateLimit, {
      max: config.rateLimitMax,
      timeWindow: config.rateLimitWindowMs,
      enableDraftSpec: true, // RateLimit-Limit / -Remaining / -Reset (IETF draft) + Retry-After
      allowList: (req: FastifyRequest) => req.method === 'OPTIONS' || !isApiPath(req.url.split('?')[0]),
      keyGenerator: (req: FastifyRequest) => (req.apiKeyId ? `key:${req.apiKeyId}` : `ip:${req.ip}`),
      ...(redis ? { redis, nameSpace: 'sat-ratelimit:', skipOnError: true } : {}),
      errorResponseBuilder: (_req, ctx) => new HttpError(429, 'rate_limited',
        `too many requests: at most ${ctx.max} per ${config.rateLimitWindowMs / 1000} s ${perKey ? 'per API key' : 'per client address'}; retry in ${ctx.after}`),
    });
  }
}
// At the root (fastify-plugin): the hooks apply to the whole app, not just this plugin's own scope.
export const securityPlugin = fp(security, { name: 'security' });
