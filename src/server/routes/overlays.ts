// POST /v1/overlays: one image → per-word contact sheet, or one word's overlay.
import type { FastifyInstance } from 'fastify';
import { renderOverlay, renderSheet } from '../../render/index.ts';
import type { ApiContext } from '../context.ts';
import { requireCaptioner } from '../context.ts';
import { HttpError } from '../errors.ts';
import { admit, checkModel, prepareAll, requestSignal } from '../inference.ts';
import { parseOptions } from '../options.ts';
import { OverlayRequestSchema } from '../schemas.ts';
import { readUpload } from '../upload.ts';

export function overlaysRoute(app: FastifyInstance, ctx: ApiContext): void {
  app.post('/v1/overlays', async (req, reply) => {
    const captioner = requireCaptioner(ctx);
    admit(ctx);
    const upload = await readUpload(req, { ...ctx.config, maxFiles: 1 });
    const { format, word, panelSize, columns, style, ...caption } = parseOptions(OverlayRequestSchema, req.query, upload.fields);
    const opts = { ...caption, includeMaps: true }; // the maps are the point here
    checkModel(captioner, opts);
    const [prepared] = await prepareAll(captioner, upload.files);
    const signal = requestSignal(req, reply, ctx.config.requestTimeoutMs);
    // Rendering runs in the inference slot too: its per-pixel blending is CPU work as well.
    const { image, caption: text, words } = await ctx.queue.run(async () => {
      const [{ result }] = await captioner.caption([prepared], opts);
      const rgb = { rgb: prepared.rgb, width: prepared.rgbWidth, height: prepared.rgbHeight };
      const tokens = result.tokens.map((t) => ({ word: t.word, attention: t.attention ?? [], region: t.region?.index, logprob: t.logprob }));
      if (word === undefined) {
        return { caption: result.caption, words: tokens.length, image: await renderSheet(rgb, tokens, { mode: opts.attention, panelSize, columns, format, style }) };
      }
      const t = tokens[word];
      if (!t) throw new HttpError(400, 'invalid_option', `word: index ${word} is out of range, the caption "${result.caption}" has ${tokens.length} word(s)`);
      return { caption: result.caption, words: tokens.length, image: await renderOverlay(rgb, t.attention, { mode: opts.attention, region: t.region, format, style }) };
    }, signal);
    return reply
      .type(format === 'png' ? 'image/png' : 'image/jpeg')
      .header('x-caption', encodeURIComponent(text)) // header-safe; decodeURIComponent on the client
      .header('x-caption-words', String(words))
      .send(image);
  });
}
