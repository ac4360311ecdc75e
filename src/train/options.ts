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
  initFrom: z.string().optional(), // a saved decoder to start from (e.g. hard from soft)
  epochs: z.number().int().positive().default(20),
  patience: z.number().int().positive().default(4), // epochs without dev BLEU-4 improvement
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
