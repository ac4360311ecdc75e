// POST /v1/overlays: one image → per-word contact sheet, or one word's overlay.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { admitCaptioning } from '../context.ts';
import { checkModel, prepareAll } from '../../service/checks.ts';
import { requestSignal } from '../inference.ts';
import { edgeErrors } from '../openapi.ts';
import { parseOptionsGiven } from '../options.ts';
import { resolveOptions, wantsFineFocus } from '../../service/options.ts';
import { OverlayRequestSchema } from '../schemas.ts';
import { readUpload } from '../upload.ts';
import { uploadErrors, uploadHooks, uploadSchema } from '../upload-route.ts';

// Image bytes: a Buffer, which fastify sends as it is (never serialised).
const image = z.custom<Buffer>((v) => Buffer.isBuffer(v)).meta({ type: 'string', format: 'binary' });
const schema = uploadSchema(OverlayRequestSchema, {
  summary: 'Render attention: a per-word contact sheet, or one word over the image',
  multiple: false,
  response: {
    200: { description: 'PNG or JPEG; headers x-caption (URI-encoded) and x-caption-words', content: { 'image/png': { schema: image }, 'image/jpeg': { schema: image } } },
    ...uploadErrors, ...edgeErrors,
  },
});

export const overlaysRoute: FastifyPluginAsyncZod = async (app) => {
  const ctx = app.api;
  const limits = { ...ctx.config, maxFiles: 1 };
  const preValidation = uploadHooks(limits, admitCaptioning(ctx)); // refuse before reading a body we could not serve anyway
  app.post('/v1/overlays', { schema, preValidation }, async (req, reply) => {
    const captioner = ctx.captioner()!; // admitted, so loaded
    const upload = await readUpload(req, limits);
    const parsed = parseOptionsGiven(OverlayRequestSchema, req.query, upload.fields, ctx.config.optionDefaults);
    const { format, word, panelSize, columns, style, map, ...caption } = parsed.options;
    const opts = resolveOptions({ ...caption, includeMaps: true }, parsed.given); // the maps are the point here
    checkModel(captioner, opts);
    const [prepared] = await prepareAll(captioner, upload.files, { pixels: true, fine: wantsFineFocus(opts) }); // drawn on
    const signal = requestSignal(req, reply, ctx.config.requestTimeoutMs);
    // Rendering waits in the engine's line too (and in the worker): its per-pixel blending is
    // CPU work as well. An out-of-range word is a WordOutOfRangeError → 400 invalid_option.
    const draw = { format, word, panelSize, columns, style, map };
    const { image, caption: text, words } = await captioner.overlay(prepared, opts, draw, { signal });
    return reply
      .type(format === 'png' ? 'image/png' : 'image/jpeg')
      .header('x-caption', encodeURIComponent(text)) // header-safe; decodeURIComponent on the client
      .header('x-caption-words', String(words))
      .send(image);
  });
};
