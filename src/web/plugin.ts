import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import type {} from '@fastify/swagger'; // its `schema.hide`: the page's routes stay out of the OpenAPI document
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CaptionOptionsSchema } from '../service/schemas.ts';

/** Where the page's static files live (plain HTML/CSS/ES modules, no build step). */
export const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));

/**
 * The page's modules made from src/ itself at startup, so the browser runs the server's own
 * code (one colormap, one resampling) and the API's own option bounds: asset name → its maker.
 * TypeScript is bundled by esbuild (which tsx runs on anyway; no build step, no network).
 */
const PAGE_MODULES: Record<string, () => Buffer> = {
  'overlay.js': () => bundleModule(fileURLToPath(new URL('../render/canvas.ts', import.meta.url))),
  'options.js': optionsModule,
};

/** One dependency-free ES module for the browser from a TypeScript entry and its imports. */
function bundleModule(entry: string): Buffer {
  const { outputFiles } = buildSync({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', charset: 'utf8', legalComments: 'none', write: false });
  return Buffer.from(outputFiles[0].contents);
}

/** The option controls' bounds and defaults, from the API's schema (not written again in the page). */
function optionsModule(): Buffer {
  const { properties } = z.toJSONSchema(CaptionOptionsSchema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' });
  return Buffer.from(`// Generated from CaptionOptionsSchema (src/service/schemas.ts): name → JSON Schema.\nexport const OPTIONS = ${JSON.stringify(properties, null, 2)};\n`);
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

/** The page only talks to its own origin; images shown are local blob: URLs. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

export interface WebAssets {
  /** Content hash of all assets: the versioned URL prefix /assets/<version>/. */
  version: string;
  index: Asset;
  files: Map<string, Asset>;
}

const ASSET_PREFIX = '{{ASSETS}}';
const etagOf = (body: Buffer) => `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;

/**
 * Reads the static files (and bundles `modules`) once. Assets are served under
 * /assets/<content hash>/ so they can be cached forever; index.html is revalidated each time
 * and points at the current hash.
 */
export function loadAssets(dir: string = PUBLIC_DIR, modules: Record<string, () => Buffer> = dir === PUBLIC_DIR ? PAGE_MODULES : {}): WebAssets {
  const files = new Map<string, Asset>();
  for (const [name, make] of Object.entries(modules)) {
    const body = make();
    files.set(name, { body, type: CONTENT_TYPES['.js'], etag: etagOf(body) });
  }
  let indexSource: Buffer | undefined;
  for (const name of readdirSync(dir).sort()) {
    const type = CONTENT_TYPES[extname(name)];
    if (!type || !statSync(join(dir, name)).isFile()) continue;
    const body = readFileSync(join(dir, name));
    if (name === 'index.html') indexSource = body;
    else files.set(name, { body, type, etag: etagOf(body) });
  }
  if (!indexSource) throw new Error(`web: ${dir} has no index.html`);
  const hash = createHash('sha256');
  for (const [name, a] of files) hash.update(name).update('\0').update(a.body);
  const version = hash.digest('hex').slice(0, 12);
  const html = Buffer.from(indexSource.toString('utf8').replaceAll(ASSET_PREFIX, `/assets/${version}`));
  return { version, index: { body: html, type: CONTENT_TYPES['.html'], etag: etagOf(html) }, files };
}

function send(req: FastifyRequest, reply: FastifyReply, asset: Asset, cacheControl: string) {
  reply
    .header('content-type', asset.type)
    .header('cache-control', cacheControl)
    .header('etag', asset.etag)
    .header('x-content-type-options', 'nosniff');
  const inm = req.headers['if-none-match'];
  if (inm && inm.split(',').some((t) => t.trim().replace(/^W\//, '') === asset.etag)) return reply.code(304).send();
  return reply.send(asset.body);
}

export interface WebPluginOptions {
  /** Directory with index.html and assets (default: src/web/public). */
  dir?: string;
}

/**
 * The demo page: GET / and its assets under /assets/<version>/. Hidden from OpenAPI. Routes
 * only, so an ordinary encapsulated plugin: `app.register(webPlugin)`.
 */
export async function webPlugin(app: FastifyInstance, opts: WebPluginOptions = {}): Promise<void> {
  const assets = loadAssets(opts.dir);
  const hide = { schema: { hide: true } };

  app.get('/', hide, async (req, reply) => {
    reply
      .header('content-security-policy', CONTENT_SECURITY_POLICY)
      .header('referrer-policy', 'no-referrer')
      .header('x-frame-options', 'DENY');
    return send(req, reply, assets.index, 'no-cache');
  });

  app.get<{ Params: { version: string; file: string } }>('/assets/:version/:file', hide, async (req, reply) => {
    const asset = assets.files.get(req.params.file);
    if (!asset) return reply.callNotFound(); // the app's JSON {error, message} 404
    // An old page asking for an old version gets today's file, but must not cache it as that version.
    const current = req.params.version === assets.version;
    return send(req, reply, asset, current ? 'public, max-age=31536000, immutable' : 'no-cache');
  });

  // Browsers ask for /favicon.ico regardless of <link rel=icon> in some cases.
  const icon = assets.files.get('favicon.svg');
  if (icon) app.get('/favicon.ico', hide, async (req, reply) => send(req, reply, icon, 'public, max-age=86400'));
}
