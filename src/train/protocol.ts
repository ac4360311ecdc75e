import type { DecoderConfig } from '../model/config.ts';
import type { GradOptions, GradStats } from './gradients.ts';

/** Messages between the training coordinator and its gradient workers (worker_threads). */
export interface WorkerInit {
  config: DecoderConfig;
  params: SharedArrayBuffer; // Float32 parameters, written only by the coordinator between steps
  grad: SharedArrayBuffer; // Float32 gradient of this worker's shard
  features: SharedArrayBuffer; // float16 feature cache, rows of L*D
  backend?: string;
}

export interface StepRequest {
  kind: 'step';
  rows: Int32Array; // feature row per caption
  tokens: Int32Array; // [B, T+1]
  B: number;
  T: number;
  opts: GradOptions;
}

export type WorkerReply = { kind: 'ready'; backend: string } | { kind: 'done'; stats: GradStats } | { kind: 'error'; message: string };
