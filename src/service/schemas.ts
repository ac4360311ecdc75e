import { z } from 'zod';
import { DEFAULT_REPETITION_PENALTY } from '../decoding/constraints.ts';
import { COCO_CATEGORIES } from '../detector/types.ts';
import { AttentionSchema } from '../model/config.ts';

/**
 * The service's data shapes, defined once: the HTTP API, the CLI and the captioner all use
 * these schemas (and the OpenAPI document is generated from them).
 */
const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])]).transform((v) => v === true || v === 'true' || v === '1' || v === 'yes');

export const CaptionOptionsSchema = z.object({
  beamSize: z.coerce.number().int().min(1).max(10).default(3).describe('beam width k (1 = greedy)'),
  nBest: z.coerce.number().int().min(1).max(10).optional().describe('alternatives returned: beam search at most beamSize (default min(3, beamSize)); with sample or sampleLocations, that many differently seeded samples (default 1)'),
  maxLength: z.coerce.number().int().min(1).max(50).default(20).describe('maximum words'),
  lengthPenalty: z.coerce.number().min(0).max(2).default(0).describe('rank beams by logprob / (words+1)^lengthPenalty'),
  attention: AttentionSchema.default('soft').describe('which decoder: soft (deterministic) or hard (stochastic) attention'),
  sample: bool.default(false).describe('sample words instead of beam search'),
  temperature: z.coerce.number().min(0.05).max(5).default(1).describe('sampling temperature'),
  seed: z.coerce.number().int().min(0).max(2 ** 31 - 1).optional().describe('random seed for sampling (words and hard-attention locations)'),
  sampleLocations: bool.default(false).describe('hard attention: sample the attended region s_t ~ Multinoulli(α_t) instead of using the expectation'),
  includeMaps: bool.default(true).describe('include per-word attention maps (false: no map work at all)'),
  fineFocus: bool.default(true).describe('object words\' focus maps on a grid twice as fine (28×28 for the shipped models), from a second encoder pass at twice the input size; only for photos larger than the encoder input (448 px) on a side, which have the detail. false: on the decoder\'s grid, and no second pass (faster; docs/benchmarks.md)'),
  mapDecimals: z.coerce.number().int().min(1).max(8).default(4).describe('attention map values are rounded to this many decimals (4: ±5e-5, plenty for overlays, a third of the bytes)'),
  repetitionPenalty: z.coerce.number().min(0).max(10).default(DEFAULT_REPETITION_PENALTY).describe('repetition guard: log-probability taken off a content word already in the caption ("a helmet and helmet"); 0 = off. <unk> is never generated.'),
  tags: bool.default(false).describe('include the encoder\'s ImageNet top-5 labels'),
  grounding: bool.default(true).describe('grounding rules in the search: object words whose COCO category neither the detector nor the encoder\'s ImageNet classes support are not said, confidently detected objects are favoured (docs/grounding.md); false = the model alone'),
});
export type CaptionOptions = z.infer<typeof CaptionOptionsSchema>;

/** Parsed options resolved into what the pipeline runs (service/options.ts): the defaults that depend on other options are filled in. */
export const DecodingPlanSchema = CaptionOptionsSchema.required({ nBest: true });
export type DecodingPlan = z.infer<typeof DecodingPlanSchema>;

/** One detected object as the API shows it (see src/grounding/detections.ts for how they are chosen). */
export const DetectionSchema = z.object({
  category: z.enum(COCO_CATEGORIES).describe('COCO object category'),
  score: z.number().min(0).max(1).describe('the detector\'s confidence (0–1)'),
  box: z.object({
    x: z.number().describe('left edge, px from the image\'s left'),
    y: z.number().describe('top edge, px from the image\'s top'),
    w: z.number().describe('width, px'),
    h: z.number().describe('height, px'),
  }).describe('in the pixels of the original image as shown (after EXIF orientation; image.width × image.height)'),
});
export type Detection = z.infer<typeof DetectionSchema>;

/** Where an object word points: the detection it is grounded in, or why it is not. */
export const GroundingSchema = z.union([
  z.object({
    category: z.enum(COCO_CATEGORIES).describe('the COCO category the word names'),
    box: DetectionSchema.shape.box,
    score: z.number().min(0).max(1).describe('the detection\'s score'),
    detection: z.number().int().min(0).describe('index of that detection in the result\'s `detections`'),
    attentionMass: z.number().min(0).max(1).describe('share of the word\'s attention α_t that falls inside the box (the rule that picked it among the category\'s detections)'),
  }).describe('grounded: of the detections of its category, the one whose box holds most of the word\'s attention'),
  z.object({
    category: z.enum(COCO_CATEGORIES).describe('the COCO category the word names'),
    grounded: z.literal(false),
    reason: z.enum(['not_detected']).describe('not_detected: the detector found no object of this category (above the display threshold) in the image'),
  }).describe('the word names a category but no detection supports it'),
]);
export type Grounding = z.infer<typeof GroundingSchema>;

export const TokenSchema = z.object({
  word: z.string(),
  logprob: z.number(),
  beta: z.number().describe('gate β_t: weight of the visual context for this word'),
  attention: z.array(z.array(z.number())).optional().describe('α_t as a grid.h × grid.w array (rows sum to 1 overall)'),
  focus: z.array(z.array(z.number())).optional().describe('object words (naming a COCO category): where the word\'s evidence is, p(region | word) ∝ α_t · p(word | that region\'s context), as a focusGrid.h × focusGrid.w array (finer than α_t with fineFocus); it points at the named object more often than α_t (docs/attention-supervision.md "Focus maps"). Absent with sampleLocations'),
  region: z.object({ index: z.number().int(), row: z.number().int(), col: z.number().int() }).optional().describe('hard attention: the region the context came from'),
  grounding: GroundingSchema.optional().describe('only on object words (words that name a COCO category, e.g. dog, man → person), when the answer lists detections: the detected box the word refers to, or why there is none'),
});
export type Token = z.infer<typeof TokenSchema>;

export const CaptionResultSchema = z.object({
  caption: z.string(),
  logprob: z.number().describe('log-probability of the caption (its words and <end>) under the model'),
  confidence: z.number().min(0).max(1).describe('calibrated probability that the caption is good (per-caption CIDEr-D above the threshold in README "Confidence"), from the length-normalised log-probability, the agreement with the encoder\'s ImageNet top-5 and with the detections when there are any (confidenceInputs)'),
  warnings: z.array(z.string()).describe('plain-language caveats: "low confidence (…)", "subject not in the model\'s vocabulary: zebra (…)", with detections \'possibly not in the photo: "dog" (…)\' and "not named: zebra (…)", "caption cut at maxLength"'),
  confidenceInputs: z.object({
    meanLogprob: z.number().describe('logprob / (words + 1)'),
    agreement: z.number().describe('Σ score of the encoder\'s top-5 ImageNet classes that the caption names (0–1)'),
    unsupported: z.number().optional().describe('with detections: share of the caption\'s object words whose category the detector did not find (0–1)'),
    missed: z.number().optional().describe('with detections: the best score of a detection ≥ 0.5 whose category the caption does not name (0: none)'),
  }),
  truncated: z.boolean().describe('maxLength cut the caption (the model had not chosen to end it)'),
  tokens: z.array(TokenSchema),
  alternatives: z.array(z.object({ caption: z.string(), logprob: z.number(), score: z.number(), truncated: z.boolean() })).describe('beam search: the n best, best first; sampling: nBest samples, alternatives[0] = the caption'),
  grid: z.object({ h: z.number().int(), w: z.number().int() }),
  focusGrid: z.object({ h: z.number().int(), w: z.number().int() }).optional().describe('the grid of the tokens\' focus maps (present when a token has one): twice grid with fineFocus on a photo larger than the encoder input, else grid'),
  model: z.object({ id: z.string(), attention: AttentionSchema, trained: z.boolean() }),
  backend: z.string().describe('tfjs backend (wasm, tensorflow, cpu) or onnxruntime-cpu'),
  runtime: z.enum(['ort', 'tfjs']).describe('what ran the decoder: ONNX Runtime or tfjs (DECODER_RUNTIME)'),
  image: z.object({ width: z.number().int(), height: z.number().int(), format: z.string() }),
  tags: z.array(z.object({ label: z.string(), score: z.number() })).optional(),
  detections: z.array(DetectionSchema).optional().describe('the objects the detector found, best first (score ≥ /v1/models detector.displayThreshold, at most 20: docs/api-grounding.md); absent when grounding=false or the server has no detector (/v1/models detector: null)'),
  timings: z.object({
    preprocessMs: z.number(),
    encodeMs: z.number().describe('the encoder (with its second pass, for fine focus maps) and the detector beside it'),
    decodeMs: z.number(),
    detectMs: z.number().optional().describe('object detection (with detections), beside the encoder'),
    batchImages: z.number().int().describe('images encoded and decoded together with this one (batching across requests); the times are the whole batch\'s'),
  }),
});
export type CaptionResult = z.infer<typeof CaptionResultSchema>;

export const DecoderInfoSchema = z.object({
  id: z.string(),
  attention: AttentionSchema,
  trained: z.boolean(),
  path: z.string().nullable().describe('folder relative to MODELS_DIR (null: untrained fallback); never an absolute server path'),
  vocabularySize: z.number().int(),
  grid: z.object({ h: z.number().int(), w: z.number().int() }),
  dims: z.object({ embed: z.number().int(), hidden: z.number().int(), attention: z.number().int(), feature: z.number().int() }),
  card: z.record(z.string(), z.unknown()).optional().describe('model card: training facts and dev scores'),
});
export type DecoderInfo = z.infer<typeof DecoderInfoSchema>;

export const ModelsInfoSchema = z.object({
  encoder: z.object({ id: z.string(), sha256: z.string(), inputSize: z.number().int(), grid: z.object({ h: z.number().int(), w: z.number().int() }), featureDim: z.number().int() }),
  decoders: z.array(DecoderInfoSchema),
  detector: z.object({
    id: z.string(),
    sha256: z.string().describe('of the weights file'),
    inputSize: z.number().int().describe('side of the square the detector sees, px'),
    displayThreshold: z.number().describe('detections below this score are not listed nor used for grounding'),
  }).nullable().describe('the COCO object detector that grounds object words; null: none in MODELS_DIR (captions are not grounded)'),
  backend: z.string(),
  runtime: z.enum(['ort', 'tfjs']).describe('decoder runtime (DECODER_RUNTIME)'),
  default: AttentionSchema,
  warnings: z.array(z.string()),
});
export type ModelsInfo = z.infer<typeof ModelsInfoSchema>;

/** The engine's line of jobs (src/engine/queue.ts), for /readyz and /metrics. */
export const QueueStatsSchema = z.object({
  running: z.number().int().describe('requests an executor has taken (decoding now, possibly as one batch)'),
  waiting: z.number().int().describe('requests in line for an executor'),
  capacity: z.number().int().describe('requests that may run at once (MAX_CONCURRENT × MAX_BATCH)'),
  maxQueue: z.number().int().describe('requests that may wait beyond capacity; more → 503 busy'),
});
export type QueueStats = z.infer<typeof QueueStatsSchema>;

/** One inference worker's health, for /readyz and /metrics (the in-thread executor reports itself as worker 0). */
export const WorkerStatsSchema = z.object({
  id: z.number().int(),
  // 'in-process': the in-thread executor (src/engine/local.ts: tests), not a worker.
  state: z.enum(['starting', 'idle', 'busy', 'restarting', 'stopped', 'in-process']),
  jobs: z.number().int().describe('jobs finished by this worker slot (across restarts)'),
  restarts: z.number().int().describe('times this worker died and was started again'),
  numTensors: z.number().int().describe('tf.memory().numTensors in the worker after its latest job: steady growth means a leak'),
  numBytes: z.number().int().describe('bytes held by those tensors'),
  heapUsed: z.number().int().describe('V8 heap in use by the worker, bytes'),
});
export type WorkerStats = z.infer<typeof WorkerStatsSchema>;
