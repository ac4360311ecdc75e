import { z } from 'zod';

/** Every training setting, with the defaults used for the shipped models. */
export const TrainOptionsSchema = z.object({
  attention: z.enum(['soft', 'hard']).default('soft'),
  captions: z.string(), // Flickr8k token file, Karpathy json or COCO json
  format: z.enum(['auto', 'flickr8k', 'karpathy', 'coco']).default('auto'),
  train: z.string(), // flickr8k: file of image names; karpathy: split name
  dev: z.string(),
  cache: z.string(), // feature cache folder (scripts/extract-features.ts)
  out: z.string(), // run folder: checkpoint/, best/, log.jsonl, curve.svg
  resume: z.boolean().default(false),
  objective: z.enum(['xe', 'scst']).default('xe'), // cross-entropy (teacher forcing) or self-critical CIDEr-D (batchSize = images)
  scstSamples: z.number().int().min(2).default(5), // K captions sampled per image
  scstBaseline: z.enum(['mean', 'greedy']).default('mean'), // b: mean reward of the other samples, or the greedy caption's
  initFrom: z.string().optional(), // a saved decoder to start from (e.g. hard from soft)
  epochs: z.number().int().positive().default(20),
  patience: z.number().int().positive().default(4), // early stopping: epochs without a better dev score
  selectBy: z.enum(['ciderD', 'bleu4']).default('ciderD'), // the dev score (greedy) behind model selection, lr decay and early stopping
  lrSchedule: z.enum(['plateau', 'cosine', 'constant']).default('plateau'),
  lrDecay: z.number().positive().max(1).default(0.5), // plateau: lr ← lr · decay after lrPatience epochs without a better dev score
  lrPatience: z.number().int().positive().default(1),
  minLr: z.number().positive().default(1e-6), // plateau: floor; cosine: the value at the last epoch
  batchSize: z.number().int().positive().default(64),
  lr: z.number().positive().default(4e-4),
  lambda: z.number().min(0).default(1), // doubly stochastic regularisation
  dropout: z.number().min(0).max(0.95).default(0.5),
  clip: z.number().min(0).default(5), // global gradient norm
  reinforceWeight: z.number().min(0).default(1), // λ_r
  entropy: z.number().min(0).default(0.002), // λ_e
  workers: z.number().int().positive().default(2),
  seed: z.number().int().default(1),
  minCount: z.number().int().positive().default(5),
  maxLength: z.number().int().positive().default(20),
  embedDim: z.number().int().positive().default(512),
  hiddenDim: z.number().int().positive().default(512),
  attentionDim: z.number().int().positive().default(512),
  checkpointMinutes: z.number().positive().default(10),
  maxSteps: z.number().int().positive().optional(), // stop after this many steps (tests, benchmarks)
  devLimit: z.number().int().positive().optional(), // evaluate on the first N dev images only
  backend: z.string().optional(),
});
export type TrainOptions = z.infer<typeof TrainOptionsSchema>;
export type TrainOptionsInput = z.input<typeof TrainOptionsSchema>;
