// HTTP-level shapes (the captioning shapes live in src/service/schemas.ts).
import { z } from 'zod';
import { DrawOptionsSchema } from '../render/types.ts';
import { CaptionOptionsSchema, CaptionResultSchema } from '../service/schemas.ts';

export const ErrorBodySchema = z.object({
  error: z.string().describe('short machine-readable code, e.g. unsupported_image'),
  message: z.string().describe('what went wrong, for humans'),
  requestId: z.string().optional().describe('quote it when reporting a problem'),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

export const CaptionsResponseSchema = z.object({
  results: z.array(CaptionResultSchema).describe('one per uploaded image, in upload order'),
});
export type CaptionsResponse = z.infer<typeof CaptionsResponseSchema>;

export const HealthSchema = z.object({ status: z.literal('ok') });
export const WorkerStatsSchema = z.object({
  id: z.number().int(),
  state: z.enum(['starting', 'idle', 'busy', 'restarting', 'stopped', 'in-process']),
  jobs: z.number().int().describe('jobs finished by this worker slot (across restarts)'),
  restarts: z.number().int().describe('times this worker died and was started again'),
  numTensors: z.number().int().describe('tf.memory().numTensors in the worker after its latest job: steady growth means a leak'),
  numBytes: z.number().int().describe('bytes held by those tensors'),
  heapUsed: z.number().int().describe('V8 heap in use by the worker, bytes'),
});
export const ReadySchema = z.object({
  status: z.literal('ready'),
  queue: z.object({ running: z.number().int(), waiting: z.number().int(), capacity: z.number().int(), maxQueue: z.number().int() }),
  workers: z.array(WorkerStatsSchema).describe('one per inference worker (MAX_CONCURRENT)'),
});
export type Ready = z.infer<typeof ReadySchema>;

/** POST /v1/captions: the captioning options, nothing else (unknown names are typos → 400). */
export const CaptionRequestSchema = CaptionOptionsSchema.strict();

/** POST /v1/overlays: captioning options plus how to draw. */
export const OverlayRequestSchema = CaptionOptionsSchema.extend(DrawOptionsSchema.shape).strict();
export type OverlayRequest = z.output<typeof OverlayRequestSchema>;

/** One SSE `word` event: a token as soon as it is known. */
export const WordEventSchema = z.object({
  image: z.number().int().describe('0-based index of the image in the upload'),
  index: z.number().int().describe('0-based position of the word in the caption'),
  word: z.string(),
  logprob: z.number(),
  beta: z.number(),
  attention: z.array(z.array(z.number())).optional(),
  region: z.object({ index: z.number().int(), row: z.number().int(), col: z.number().int() }).optional(),
});
export type WordEvent = z.infer<typeof WordEventSchema>;

/** One SSE `result` event: a CaptionResult and which upload it belongs to. */
export const ResultEventSchema = CaptionResultSchema.extend({ imageIndex: z.number().int().describe('0-based index of the image in the upload (the `image` of its word events)') });
export type ResultEvent = z.infer<typeof ResultEventSchema>;
