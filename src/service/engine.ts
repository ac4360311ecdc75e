// The one interface every captioning engine implements in full: the worker-thread pool
// (WorkerCaptioner, production) and the in-thread LocalEngine (tests). Both put jobs in one
// line (queue.ts) in front of their executors. The HTTP routes and the batch-job worker use
// only this, so they never ask which one they have.
import type { PreparedImage, PrepareOptions } from '../encoder/preprocess.ts';
import type { Hypothesis } from '../decoding/types.ts';
import type { OverlayOutput } from './overlay.ts';
import type { DrawOptions } from '../render/types.ts';
import type { CaptionOptions, CaptionResult, ModelsInfo, Token, WorkerStats } from './schemas.ts';
import type { Attention } from '../model/config.ts';
import type { EngineQueue } from './queue.ts';

/** One captioned image with the image it was made from. */
export interface CaptionedImage {
  result: CaptionResult;
  prepared: PreparedImage;
  /** The best hypothesis without its per-step record (α, β per word are in result.tokens). */
  hypothesis: Omit<Hypothesis, 'steps'>;
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
  /** Decodes and checks one upload (throws UnsupportedImageError / ImageTooLargeError); pixels: keep the RGB copy overlays draw on. */
  prepare(image: Buffer, opts?: Pick<PrepareOptions, 'pixels'>): Promise<PreparedImage>;
  /** Waits in the line (rejects with QueueFullError when it is full), then captions. */
  caption(images: (Buffer | PreparedImage)[], o: CaptionOptions, run?: RunOptions): Promise<CaptionedImage[]>;
  /** Caption + render in one go (in the worker, for the pool: the blending is CPU work too). */
  overlay(prepared: PreparedImage, o: CaptionOptions, draw: DrawOptions, run?: Pick<RunOptions, 'signal'>): Promise<OverlayOutput>;
  /** The line every caption and overlay job waits in: admission, stats, outcome counts. */
  readonly queue: EngineQueue;
  /** Per-worker health and tfjs tensor counts, for /readyz and /metrics. */
  workerStats(): WorkerStats[];
  /** False while no worker is able to take a job (all restarting). */
  available(): boolean;
  dispose(): Promise<void>;
}
