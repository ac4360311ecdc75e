// A request's inputs checked before it takes an inference slot, the same way for the HTTP routes
// and the batch-job worker: is the decoder there, does every image decode.
import type { PreparedImage, PrepareOptions } from '../encoder/preprocess.ts';
import type { CaptionEngine } from './engine.ts';
import { ModelUnavailableError, serviceErrorStatus } from './errors.ts';
import type { CaptionOptions } from './schemas.ts';

export function checkModel(captioner: Pick<CaptionEngine, 'has'>, o: Pick<CaptionOptions, 'attention'>): void {
  if (!captioner.has(o.attention)) {
    const have = (['soft', 'hard'] as const).filter((k) => captioner.has(k));
    throw new ModelUnavailableError(`attention=${o.attention}: no ${o.attention}-attention decoder is loaded (available: ${have.join(', ')})`);
  }
}

/**
 * Decodes and checks every image before queueing, so bad uploads fail fast without taking an
 * inference slot. One at a time: a decode can take hundreds of MB at the pixel limit. With
 * several images, a bad one's error names it (0-based, like SSE events).
 */
export async function prepareAll(captioner: Pick<CaptionEngine, 'prepare'>, files: { filename?: string; data: Buffer }[], opts: Pick<PrepareOptions, 'pixels' | 'fine'> = {}): Promise<PreparedImage[]> {
  const out: PreparedImage[] = [];
  for (const [i, f] of files.entries()) {
    try {
      out.push(await captioner.prepare(f.data, opts));
    } catch (err) {
      if (files.length > 1 && serviceErrorStatus(err)) (err as Error).message = `image ${i}${f.filename ? ` (${f.filename})` : ''}: ${(err as Error).message}`;
      throw err;
    }
  }
  return out;
}
