// HTTP-level shapes (the captioning shapes live in src/service/schemas.ts).
import { z } from 'zod';
import { DrawOptionsSchema } from '../render/types.ts';
import { CaptionOptionsSchema, CaptionResultSchema, QueueStatsSchema, TokenSchema, WorkerStatsSchema } from '../service/schemas.ts';

/** Every error answer; `id` makes it one shared component (#/components/schemas/Error) in the OpenAPI document. */
export const ErrorBodySchema = z.object({
  error: z.string().describe('short machine-readable code, e.g. unsupported_image'),
  message: z.string().describe('what went wrong, for humans'),
  requestId: z.string().optional().describe('quote it when reporting a problem'),
}).meta({ id: 'Error' });
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

export const CaptionsResponseSchema = z.object({
  results: z.array(CaptionResultSchema).describe('one per uploaded image, in upload order'),
});
export type CaptionsResponse = z.infer<typeof CaptionsResponseSchema>;

export const HealthSchema = z.object({ status: z.literal('ok') });
export const ReadySchema = z.object({
  status: z.literal('ready'),
  queue: QueueStatsSchema,
  workers: z.array(WorkerStatsSchema).describe('one per inference worker (MAX_CONCURRENT)'),
});
export type Ready = z.infer<typeof ReadySchema>;

/** POST /v1/captions: the captioning options, nothing else (unknown names are typos → 400). */
export const CaptionRequestSchema = CaptionOptionsSchema.strict();

/** POST /v1/overlays: captioning options plus how to draw. */
export const OverlayRequestSchema = CaptionOptionsSchema.extend(DrawOptionsSchema.shape).strict();
export type OverlayRequest = z.output<typeof OverlayRequestSchema>;

const JsonImageSchema = z.union([
  z.object({ base64: z.string().min(1).describe('the image file, base64 (a data: URL prefix is accepted)'), filename: z.string().max(256).optional() }).strict(),
  z.object({ url: z.string().min(1).max(4096).describe('fetched by the server only when ALLOW_IMAGE_URLS is on and the host is allow-listed') }).strict(),
], { error: 'each entry of "images" is {"base64": "..."} or {"url": "..."}' });
/** An option in a JSON body: checked like a form field (as its string) once merged with the query. */
const OptionValue = z.union([z.string(), z.number(), z.boolean()]);

/**
 * A JSON upload: {"images": [{"base64": "..."} | {"url": "..."}], ...options}. The options are the
 * names of `options` (listed for the documentation), given as JSON strings, numbers or booleans;
 * their values and unknown names are checked with the query and form options (→ invalid_option).
 */
export function jsonUploadSchema<S extends z.ZodObject>(options: S) {
  const names = Object.fromEntries(Object.entries(options.shape).map(([k, s]) => [k, OptionValue.optional().describe((s as z.ZodType).description ?? k)]));
  return z.object({
    images: z.array(JsonImageSchema, { error: 'needs "images": an array of {"base64": "..."}' }).min(1, '"images" is empty: send at least one image'),
    ...names,
  }).catchall(OptionValue);
}
export type JsonUpload = z.output<ReturnType<typeof jsonUploadSchema>>;

/** One SSE `word` event: a token as soon as it is known, and whose and where it is. */
export const WordEventSchema = z.object({
  image: z.number().int().describe('0-based index of the image in the upload'),
  index: z.number().int().describe('0-based position of the word in the caption'),
}).extend(TokenSchema.shape);
export type WordEvent = z.infer<typeof WordEventSchema>;

/** One SSE `result` event: a CaptionResult and which upload it belongs to. */
export const ResultEventSchema = CaptionResultSchema.extend({ imageIndex: z.number().int().describe('0-based index of the image in the upload (the `image` of its word events)') });
export type ResultEvent = z.infer<typeof ResultEventSchema>;
