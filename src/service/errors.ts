// The service's typed failures, and what each means to a client: the HTTP API and the batch-job
// worker both turn them into {status, code, message} with this one table.
import { ImageTooLargeError, UnsupportedImageError } from '../encoder/errors.ts';
import { OptionConflictError } from './options.ts';

/** No decoder for the requested attention is loaded. Maps to 400 model_unavailable. */
export class ModelUnavailableError extends Error {}

/** The worker running this job died; the job is lost, the worker restarts. Maps to 503. */
export class WorkerCrashedError extends Error { override name = 'WorkerCrashedError'; }

/** The job ran past jobTimeoutMs; its worker was terminated and restarts. Maps to 503. */
export class WorkerTimeoutError extends Error { override name = 'WorkerTimeoutError'; }

/** The line of jobs is full (src/engine/queue.ts). Maps to 503 busy with its Retry-After estimate. */
export class QueueFullError extends Error {
  override name = 'QueueFullError';
  constructor(readonly retryAfterSeconds: number) {
    super('the server is busy: too many captioning requests are waiting, retry later');
  }
}

/** Overlay of word i when the caption has fewer words. Maps to 400. */
export class WordOutOfRangeError extends Error { override name = 'WordOutOfRangeError'; }

/** A failure as a client sees it; headers carry the retry hint of transient ones. */
export interface ErrorStatus {
  status: number;
  code: string;
  message: string;
  headers: Record<string, string>;
}

/** The status of a service error; undefined for anything else (a bug, or not the service's). */
export function serviceErrorStatus(err: unknown): ErrorStatus | undefined {
  const is = (status: number, code: string, headers: Record<string, string> = {}): ErrorStatus => ({ status, code, message: (err as Error).message, headers });
  if (err instanceof UnsupportedImageError) return is(415, 'unsupported_image');
  if (err instanceof ImageTooLargeError) return is(413, 'image_too_large');
  if (err instanceof OptionConflictError) return is(400, 'option_conflict');
  if (err instanceof ModelUnavailableError) return is(400, 'model_unavailable');
  if (err instanceof WorkerCrashedError) return is(503, 'worker_crashed', { 'retry-after': '2' });
  if (err instanceof WorkerTimeoutError) return is(503, 'timeout', { 'retry-after': '5' });
  if (err instanceof QueueFullError) return is(503, 'busy', { 'retry-after': String(err.retryAfterSeconds) });
  if (err instanceof WordOutOfRangeError) return is(400, 'invalid_option');
  return undefined;
}
