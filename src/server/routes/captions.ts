// POST /v1/captions: JSON results, or Server-Sent Events with Accept: text/event-stream.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { checkModel, prepareAll } from '../../service/checks.ts';
import type { CaptionEngine } from '../../service/engine.ts';
import type { PreparedImage } from '../../encoder/preprocess.ts';
import type { DecodingPlan, Token } from '../../service/schemas.ts';
import { admitCaptioning } from '../context.ts';
import { toHttpError } from '../errors.ts';
import { edgeErrors, jsonSchema } from '../openapi.ts';
import { requestSignal } from '../inference.ts';
import { parseOptionsGiven } from '../options.ts';
import { resolveOptions, wantsFineFocus } from '../../service/options.ts';
import { CaptionRequestSchema, CaptionsResponseSchema, ResultEventSchema, WordEventSchema, type CaptionsResponse, type ResultEvent, type WordEvent } from '../schemas.ts';
import { SseStream } from '../sse.ts';
import { readUpload } from '../upload.ts';
import { uploadErrors, uploadHooks, uploadSchema } from '../upload-route.ts';

// SSE has no schema language in OpenAPI: the events' JSON Schemas go into the description.
const events = z.string().describe(`word, result, done / error events; word data: ${JSON.stringify(jsonSchema(WordEventSchema, 'output'))}; result data: ${JSON.stringify(jsonSchema(ResultEventSchema, 'output'))}`);

const schema = uploadSchema(CaptionRequestSchema, {
  summary: 'Caption one or more images',
  description: 'Upload files in field `image` (repeatable). Options as fields or query parameters. With `Accept: text/event-stream` the answer is SSE: `word` events (WordEvent) as the decoder emits them (greedy and sampling: word by word while decoding runs, images interleaved; beam search: the best beam\'s words when each image\'s search ends), a `result` event per image (CaptionResult), then `done`; a failure after the stream opened is an `error` event.',
  multiple: true,
  response: {
    200: { description: 'one result per image, in upload order', content: { 'application/json': { schema: CaptionsResponseSchema }, 'text/event-stream': { schema: events } } },
    ...uploadErrors, ...edgeErrors,
  },
});

export const captionsRoute: FastifyPluginAsyncZod = async (app) => {
  const ctx = app.api;
  const preValidation = uploadHooks(ctx.config, admitCaptioning(ctx)); // refuse before reading a body we could not serve anyway
  app.post('/v1/captions', { schema, preValidation }, async (req, reply) => {
    const captioner = ctx.captioner()!; // admitted, so loaded
    const upload = await readUpload(req, ctx.config);
    const parsed = parseOptionsGiven(CaptionRequestSchema, req.query, upload.fields, ctx.config.optionDefaults);
    const opts = resolveOptions(parsed.options, parsed.given);
    checkModel(captioner, opts);
    const prepared = await prepareAll(captioner, upload.files, { fine: wantsFineFocus(opts) });
    const signal = requestSignal(req, reply, ctx.config.requestTimeoutMs);
    if (wantsEvents(req)) return streamCaptions(req, reply, captioner, prepared, opts, signal);
    const captioned = await captioner.caption(prepared, opts, { signal });
    const body: CaptionsResponse = { results: captioned.map((c) => c.result) };
    return body;
  });
};

function wantsEvents(req: FastifyRequest): boolean {
  return /\btext\/event-stream\b/i.test(req.headers.accept ?? '');
}

/**
 * Events: `word` {image, index, word, logprob, beta, attention?, region?} per word, `result`
 * {imageIndex, ...CaptionResult} per image (indices 0-based), then `done` {count}; a failure
 * after the stream opened is an `error` {error, message, requestId}. Failures before it opens
 * are ordinary JSON errors.
 *
 * Word events are written (flushed) as the decoder emits them: with greedy decoding and sampling
 * word by word while decoding runs (several images' words interleave; `image` and `index` say
 * whose and where), with beam search the best beam's words once each image's search has ended.
 * The `result` events follow when the whole request is decoded.
 */
async function streamCaptions(req: FastifyRequest, reply: FastifyReply, captioner: CaptionEngine, prepared: PreparedImage[], opts: DecodingPlan, signal: AbortSignal): Promise<void> {
  captioner.queue.admit(); // still room? (checked again so "busy" stays a 503, not an in-stream error)
  reply.hijack();
  const sse = new SseStream(reply.raw, req.id);
  const sent: number[] = []; // word events written so far, per image
  const sendWord = (image: number, token: Token) => {
    const index = sent[image] ?? 0;
    sent[image] = index + 1;
    const ev: WordEvent = { image, index, ...token };
    sse.send('word', ev); // one write per event: flushed as it comes
  };
  const running = captioner.caption(prepared, opts, { onWord: sendWord, signal });
  running.catch(() => {}); // observed below; avoids an unhandled rejection if the stream dies first
  try {
    const captioned = await running;
    // Every word was streamed by now (both engines send all of them before the answer).
    for (const [image, { result }] of captioned.entries()) {
      sse.send('result', { imageIndex: image, ...result } satisfies ResultEvent);
    }
    sse.send('done', { count: captioned.length });
  } catch (err) {
    const e = toHttpError(err);
    if (e.status >= 500 && e.code === 'internal_error') req.log.error({ err }, 'captioning failed mid-stream');
    sse.send('error', { error: e.code, message: e.message, requestId: req.id });
  } finally {
    sse.end();
  }
}
