// The messages between a worker executor (worker-executor.ts, HTTP thread) and its inference
// worker (inference-worker.ts), defined once: each side imports these schemas and types. The
// worker checks every request's shape against them; the decoding plans inside were resolved on
// the HTTP thread and are taken as they are. Replies are built from the same types.
import { z } from 'zod';
import { EncoderFileError, ImageTooLargeError, UnsupportedImageError } from '../encoder/errors.ts';
import type { PreparedImage } from '../encoder/preprocess.ts';
import type { CaptionedImage } from '../service/engine.ts';
import { ModelUnavailableError, WordOutOfRangeError } from '../service/errors.ts';
import { DrawOptionsSchema } from '../render/types.ts';
import { ModelsInfoSchema, TokenSchema, WorkerStatsSchema, type CaptionResult, type DecodingPlan } from '../service/schemas.ts';

export const WorkerInitSchema = z.object({
  modelsDir: z.string(),
  allowDownload: z.boolean().optional(),
  maxPixels: z.number().int().optional(),
  runtime: z.enum(['auto', 'ort', 'tfjs']).optional(),
  intraOpThreads: z.number().int().optional(),
});
export type WorkerInit = z.infer<typeof WorkerInitSchema>;

// Typed arrays over any buffer (a Buffer's may be Node's shared pool).
const float32 = z.custom<Float32Array>((v) => v instanceof Float32Array, 'expected a Float32Array');
const bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'expected a Uint8Array');

/** A PreparedImage as it crosses the thread boundary: its pixels as plain bytes, left out when the other side has no use for them. */
const WirePreparedSchema = z.object({
  tensor: float32,
  width: z.number().int(),
  height: z.number().int(),
  format: z.string(),
  pixels: z.object({ rgb: bytes, width: z.number().int(), height: z.number().int() }).optional(),
  fine: float32.optional(),
});
export type WirePrepared = z.infer<typeof WirePreparedSchema>;

/** A plan resolved once on the HTTP thread (service/options.ts): not parsed again. */
const plan = z.custom<DecodingPlan>((v) => typeof v === 'object' && v !== null, 'expected a decoding plan');

/** One request's share of a caption job. words: post a 'word' reply per word while decoding. */
const WirePartSchema = z.object({ images: z.array(WirePreparedSchema), plan, words: z.boolean() });
export type WirePart = z.infer<typeof WirePartSchema>;

export const WorkerRequestSchema = z.discriminatedUnion('kind', [
  /** One or several requests' images, decoded together (Captioner.captionParts). */
  z.object({ kind: z.literal('caption'), id: z.number().int(), parts: z.array(WirePartSchema) }),
  z.object({ kind: z.literal('overlay'), id: z.number().int(), image: WirePreparedSchema, plan, draw: DrawOptionsSchema }),
]);
export type WorkerRequest = z.infer<typeof WorkerRequestSchema>;

export const TensorStatsSchema = WorkerStatsSchema.pick({ numTensors: true, numBytes: true, heapUsed: true });
export type TensorStats = z.infer<typeof TensorStatsSchema>;

const WireErrorSchema = z.object({ name: z.string(), message: z.string() });
export type WireError = z.infer<typeof WireErrorSchema>;

/**
 * One captioned image coming back. The result is the worker's own CaptionResult (not re-parsed:
 * its key order is the answer's).
 */
const WireCaptionedSchema = z.object({
  result: z.custom<CaptionResult>(),
  hypothesis: z.custom<CaptionedImage['hypothesis']>(),
});
export type WireCaptioned = z.infer<typeof WireCaptionedSchema>;

export const WorkerReplySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('log'), message: z.string() }),
  z.object({ kind: z.literal('ready'), info: ModelsInfoSchema, stats: TensorStatsSchema }),
  z.object({ kind: z.literal('failed'), error: WireErrorSchema }),
  /** A word of job `id`'s part `part`, image `image`, posted while the job runs (only for parts that asked). */
  z.object({ kind: z.literal('word'), id: z.number().int(), part: z.number().int(), image: z.number().int(), token: TokenSchema }),
  /** A caption job's results: per part, per image. */
  z.object({ kind: z.literal('captioned'), id: z.number().int(), stats: TensorStatsSchema, parts: z.array(z.array(WireCaptionedSchema)) }),
  z.object({ kind: z.literal('drawn'), id: z.number().int(), stats: TensorStatsSchema, image: bytes, caption: z.string(), words: z.number().int() }),
  z.object({ kind: z.literal('error'), id: z.number().int(), stats: TensorStatsSchema, error: WireErrorSchema }),
]);
export type WorkerReply = z.infer<typeof WorkerReplySchema>;
/** The reply that ends a job. */
export type JobReply = Extract<WorkerReply, { kind: 'captioned' | 'drawn' | 'error' }>;

/** The wire form of a prepared image; `pixels: false` leaves the RGB copy out (only overlays need it). */
export function toWire(p: PreparedImage, pixels: boolean): WirePrepared {
  return { tensor: p.tensor, width: p.width, height: p.height, format: p.format, pixels: pixels ? p.pixels : undefined, fine: p.fine };
}

/** This side's own PreparedImage over the received arrays (no copy). */
export function fromWire(w: WirePrepared): PreparedImage {
  const p: PreparedImage = { tensor: w.tensor, width: w.width, height: w.height, format: w.format };
  if (w.pixels) p.pixels = { ...w.pixels, rgb: Buffer.from(w.pixels.rgb.buffer, w.pixels.rgb.byteOffset, w.pixels.rgb.byteLength) };
  if (w.fine) p.fine = w.fine;
  return p;
}

/**
 * The buffers to transfer (move, not copy) with a message: each array's, once, when the array
 * spans all of it; a view into a larger or shared buffer (Node's Buffer pool) is copied instead.
 */
export function transferable(arrays: (ArrayBufferView | undefined)[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const a of arrays) {
    if (a && a.buffer instanceof ArrayBuffer && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength) out.add(a.buffer);
  }
  return [...out];
}

/** Typed errors cross the thread boundary by name and are rebuilt as the same classes. */
export function toWireError(err: unknown): WireError {
  const e = err as Error;
  const name = err instanceof ModelUnavailableError ? 'ModelUnavailableError' : (e?.name ?? 'Error');
  return { name, message: String(e?.message ?? err) };
}

const ERROR_CLASSES: Record<string, new (message: string) => Error> = {
  UnsupportedImageError,
  ImageTooLargeError,
  ModelUnavailableError,
  EncoderFileError,
  WordOutOfRangeError,
};

export function fromWireError(w: WireError): Error {
  const Cls = ERROR_CLASSES[w.name];
  if (Cls) return new Cls(w.message);
  const e = new Error(w.message);
  e.name = w.name;
  return e;
}
