import type { DecoderConfig } from '../model/config.ts';
import type { VocabJSON } from '../data/vocab.ts';
import type { GradOptions, GradStats } from './bptt.ts';

/** Messages between the training coordinator and its gradient workers (worker_threads). */
export interface WorkerInit {
  config: DecoderConfig;
  vocab?: VocabJSON; // for sampling captions (self-critical training)
  params: SharedArrayBuffer; // Float32 parameters, written only by the coordinator between steps
  grad: SharedArrayBuffer; // Float32 gradient of this worker's shard
  features: SharedArrayBuffer; // float16 feature cache, rows of L*D
  backend?: string;
}

export interface StepRequest {
  kind: 'step';
  rows: Int32Array; // feature row per caption
  tokens: Int32Array; // [B, T+1]
  regions?: Uint8Array; // [B, T, L] attention targets (copied with the message: ≤ 32·21·196 bytes)
  B: number;
  T: number;
  opts: GradOptions;
}

/** Caption feature rows with the current parameters: `samples` sampled captions per row (temperature 1), plus the greedy one when asked. */
export interface SampleRequest {
  kind: 'sample';
  rows: Int32Array; // one feature row per image
  samples: number;
  greedy: boolean;
  maxLength: number;
  seed: number;
}

/** Word ids without <start>/<end>: row-major, image i's samples at [i*samples, (i+1)*samples). */
export interface SampleReply {
  kind: 'samples';
  sampled: number[][];
  greedy: number[][];
}

export type WorkerReply = { kind: 'ready'; backend: string } | { kind: 'done'; stats: GradStats } | SampleReply | { kind: 'error'; message: string };
