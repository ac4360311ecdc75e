// The captioning steps shared by the JSON, SSE and overlay routes.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PreparedImage } from '../encoder/preprocess.ts';
import type { CaptionEngine } from '../service/worker-captioner.ts';
import type { CaptionOptions } from '../service/schemas.ts';
import { ClientGoneError, HttpError, toHttpError } from './errors.ts';
import type { ApiContext } from './context.ts';
import { QueueFullError } from './queue.ts';
import type { UploadedFile } from './upload.ts';

/** Refuse before reading a body we could not serve anyway. */
export function admit(ctx: ApiContext): void {
  if (ctx.queue.full) throw new QueueFullError(ctx.queue.retryAfter());
}

/**
 * Decodes and checks every image before queueing, so bad uploads fail fast without taking an
 * inference slot. One at a time: a decode can take hundreds of MB at the pixel limit.
 */
export async function prepareAll(captioner: CaptionEngine, files: UploadedFile[]): Promise<PreparedImage[]> {
  const out: PreparedImage[] = [];
  for (const [i, f] of files.entries()) {
    try {
      out.push(await captioner.prepare(f.data));
    } catch (err) {
      const e = toHttpError(err);
      if (e.status === 500) throw err;
      const which = files.length > 1 ? `image ${i}${f.filename ? ` (${f.filename})` : ''}: ` : ''; // 0-based, like SSE events
      throw new HttpError(e.status, e.code, which + e.message, e.headers);
    }
  }
  return out;
}

export function checkModel(captioner: CaptionEngine, o: CaptionOptions): void {
  if (!captioner.has(o.attention)) {
    const have = (['soft', 'hard'] as const).filter((k) => captioner.has(k));
    throw new HttpError(400, 'model_unavailable', `attention=${o.attention}: no ${o.attention}-attention decoder is loaded (available: ${have.join(', ')})`);
  }
}

/** Aborts when the client disconnects or the request deadline passes. */
export function requestSignal(req: FastifyRequest, reply: FastifyReply, timeoutMs: number): AbortSignal {
  const gone = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) gone.abort(new ClientGoneError('client closed the connection'));
  });
  req.raw.on('aborted', () => gone.abort(new ClientGoneError('client aborted the request')));
  return AbortSignal.any([gone.signal, AbortSignal.timeout(timeoutMs)]);
}
