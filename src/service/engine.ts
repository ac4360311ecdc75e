// The interface of the captioning engine (src/engine/): what the HTTP routes, the batch-job
// worker and the CLI's --redis path see of it, so they never ask which executors it has.
import type { PreparedImage, PrepareOptions } from '../encoder/preprocess.ts';
import type { Hypothesis } from '../decoding/types.ts';
import type { Attention } from '../model/config.ts';
import type { DrawOptions } from '../render/types.ts';
import type { CaptionResult, DecodingPlan, ModelsInfo, QueueStats, Token, WorkerStats } from './schemas.ts';

/** One captioned image with the image it was made from. */
export interface CaptionedImage {
  result: CaptionResult;
  prepared: PreparedImage;
  /** The best hypothesis without its per-step record (α, β per word are in result.tokens). */
  hypothesis: Omit<Hypothesis, 'steps'>;
}

/** A rendered overlay (Captioner.overlay): the image, its caption and how many words it has. */
export interface OverlayOutput {
  image: Buffer;
  caption: string;
  words: number;
}

/** What callers see of the engine's line of jobs (src/engine/queue.ts): admission and the numbers. */
export interface EngineQueue {
  readonly capacity: number;
  readonly maxQueue: number;
  readonly completed: Readonly<{ ok: number; failed: number }>;
  /** Throws QueueFullError when a new job would be refused now (check before reading an upload). */
  admit(): void;
  stats(): QueueStats;
}

/** Receives each word of image `image` as the decoder emits it (see Captioner.caption). */
export type OnWord = (image: number, token: Token) => void;

/** How one call waits: its words as they come, and when its caller gives up. */
export interface RunOptions {
  /** Each word as the decoder emits it (see Captioner.caption); without it no word is sent anywhere. */
  onWord?: OnWord;
  /** Aborting drops a waiting job from the line, or releases the caller of a running one (queue.ts). */
  signal?: AbortSignal;
}

export interface CaptionEngine {
  info(): ModelsInfo;
  has(kind: Attention): boolean;
  /** Decodes and checks one upload (throws UnsupportedImageError / ImageTooLargeError); pixels: keep the RGB copy overlays draw on; fine: the square fine focus maps need. */
  prepare(image: Buffer, opts?: Pick<PrepareOptions, 'pixels' | 'fine'>): Promise<PreparedImage>;
  /**
   * Waits in the line (rejects with QueueFullError when it is full), then captions. The images'
   * pixel data is handed over (moved to a worker thread, not copied): prepare again to reuse.
   */
  caption(images: PreparedImage[], plan: DecodingPlan, run?: RunOptions): Promise<CaptionedImage[]>;
  /** Caption + render in one go, on an executor's thread (the blending is CPU work too). */
  overlay(prepared: PreparedImage, plan: DecodingPlan, draw: DrawOptions, run?: Pick<RunOptions, 'signal'>): Promise<OverlayOutput>;
  /** The line every caption and overlay job waits in: admission, stats, outcome counts. */
  readonly queue: EngineQueue;
  /** Per-worker health and tfjs tensor counts, for /readyz and /metrics. */
  workerStats(): WorkerStats[];
  /** False while no worker is able to take a job (all restarting). */
  available(): boolean;
  dispose(): Promise<void>;
}
