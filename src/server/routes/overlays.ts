// POST /v1/overlays: one image → per-word contact sheet, or one word's overlay.
import type { FastifyPluginAsync } from 'fastify';
import { requireCaptioner } from '../context.ts';
import { checkModel, prepareAll } from '../../service/checks.ts';
import { requestSignal } from '../inference.ts';
import { uploadOperation } from '../openapi.ts';
import { parseOptionsGiven } from '../options.ts';
import { resolveOptions } from '../../service/options.ts';
import { OverlayRequestSchema } from '../schemas.ts';
import { readUpload } from '../upload.ts';

const openapi = uploadOperation(
  'Render attention: a per-word contact sheet, or one word over the image', OverlayRequestSchema, false,
  { description: 'PNG or JPEG; headers x-caption (URI-encoded) and x-caption-words', content: { 'image/png': { schema: { type: 'string', format: 'binary' } }, 'image/jpeg': { schema: { type: 'string', format: 'binary' } } } },
);

export const overlaysRoute: FastifyPluginAsync = async (app) => {
  const ctx = app.api;
  app.post('/v1/overlays', { schema: { openapi } }, async (req, reply) => {
    const captioner = requireCaptioner(ctx);
    captioner.queue.admit(); // refuse before reading a body we could not serve anyway
    const upload = await readUpload(req, { ...ctx.config, maxFiles: 1 });
    const parsed = parseOptionsGiven(OverlayRequestSchema, req.query, upload.fields);
    const { format, word, panelSize, columns, style, ...caption } = parsed.options;
    const opts = resolveOptions({ ...caption, includeMaps: true }, parsed.given); // the maps are the point here
    checkModel(captioner, opts);
    const [prepared] = await prepareAll(captioner, upload.files);
    const signal = requestSignal(req, reply, ctx.config.requestTimeoutMs);
    // Rendering waits in the engine's line too (and in the worker): its per-pixel blending is
    // CPU work as well. An out-of-range word is a WordOutOfRangeError → 400 invalid_option.
    const draw = { format, word, panelSize, columns, style };
    const { image, caption: text, words } = await captioner.overlay(prepared, opts, draw, { signal });
    return reply
      .type(format === 'png' ? 'image/png' : 'image/jpeg')
      .header('x-caption', encodeURIComponent(text)) // header-safe; decodeURIComponent on the client
      .header('x-caption-words', String(words))
      .send(image);
  });
};
