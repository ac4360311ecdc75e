// The HTTP side of the captioning steps shared by the JSON, SSE and overlay routes (the input
// checks they share with the batch-job worker are in service/checks.ts; the line the jobs wait
// in is the engine's, src/engine/queue.ts).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ClientGoneError } from './errors.ts';

/** Aborts when the client disconnects or the request deadline passes. */
export function requestSignal(req: FastifyRequest, reply: FastifyReply, timeoutMs: number): AbortSignal {
  const gone = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) gone.abort(new ClientGoneError('client closed the connection'));
  });
  req.raw.on('aborted', () => gone.abort(new ClientGoneError('client aborted the request')));
  return AbortSignal.any([gone.signal, AbortSignal.timeout(timeoutMs)]);
}
