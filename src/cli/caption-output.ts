// The write side of `show-attend-tell caption`: one JSONL record per image (result or error),
// written to stdout or DIR/captions.jsonl with backpressure, and the closing summary.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { CaptionResult } from '../service/schemas.ts';
import type { FoundImage } from './walk.ts';

/** One JSONL record. */
export type CaptionLine =
  | ({ path: string } & Pick<CaptionResult, 'caption' | 'logprob' | 'alternatives' | 'tokens' | 'image' | 'model'> & {
      tags?: CaptionResult['tags'];
      detections?: CaptionResult['detections'];
      overlay?: string;
      timings: { prepareMs: number; encodeMs: number; decodeMs: number; overlayMs?: number; batch: number };
    })
  | { path: string; error: string; errorType: string };
export type ResultLine = Extract<CaptionLine, { caption: string }>;

/** A captioned image as one JSONL record (maps only when asked for: they dominate the size). */
export function resultLine(path: string, r: CaptionResult, maps: boolean, timings: ResultLine['timings']): ResultLine {
  return {
    path,
    caption: r.caption,
    logprob: r.logprob,
    alternatives: r.alternatives,
    tokens: r.tokens.map((t) => {
      if (maps) return t;
      const { attention: _drop, ...rest } = t;
      return rest;
    }),
    image: r.image,
    model: r.model,
    ...(r.tags ? { tags: r.tags } : {}),
    ...(r.detections ? { detections: r.detections } : {}),
    timings,
  };
}

export function errorLine(file: FoundImage, err: Error): CaptionLine {
  return { path: file.path, error: err?.message ?? String(err), errorType: err?.name ?? 'Error' };
}

/**
 * JSON lines to a stream (stdout) or a file. A write error (EPIPE when piped into `head`, a full
 * disk) is kept and rethrown by the next write, so the run stops instead of losing lines silently.
 */
export class JsonlWriter {
  private error: Error | null = null;
  private readonly onError = (err: Error) => void (this.error ??= err);

  private constructor(private readonly sink: Writable, private readonly owned: boolean) {
    sink.on('error', this.onError);
  }

  static toStream(sink: Writable): JsonlWriter {
    return new JsonlWriter(sink, false);
  }

  static toFile(path: string, append = false): JsonlWriter {
    return new JsonlWriter(createWriteStream(path, { flags: append ? 'a' : 'w' }), true);
  }

  async write(line: CaptionLine): Promise<void> {
    if (this.error) throw this.error;
    if (!this.sink.write(`${JSON.stringify(line)}\n`)) await once(this.sink, 'drain');
  }

  /** Flushes and closes a file (a stream it was given stays open); the first write error, if any. */
  async close(): Promise<Error | null> {
    if (this.owned) {
      this.sink.end();
      await finished(this.sink).catch((err: Error) => void (this.error ??= err));
    }
    this.sink.off('error', this.onError);
    return this.error;
  }

  get failed(): Error | null {
    return this.error;
  }
}

export type Failure = { path: string; error: string };

/** The closing lines on stderr: the count line, then every failed image with its reason. */
export function summarize(say: (m: string) => void, summary: string, failures: Failure[]): number {
  say(summary);
  if (failures.length) {
    say('failed:');
    for (const f of failures) say(`  ${f.path}: ${f.error}`);
  }
  return failures.length ? 1 : 0;
}
