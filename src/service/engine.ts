// The one interface every captioning runtime implements in full: the in-thread Captioner and the
// worker-thread pool (WorkerCaptioner). The HTTP routes, the batch-job worker and the CLI use
// only this, so they never ask which one they have.
import type { PreparedImage } from '../encoder/preprocess.ts';
import type { Hypothesis } from '../decoding/types.ts';
import type { OverlayOutput } from './overlay.ts';
import type { DrawOptions } from '../render/types.ts';
import type { CaptionOptions, CaptionResult, ModelsInfo, Token, WorkerStats } from './schemas.ts';
import type { Attention } from '../model/config.ts';

/** One captioned image plus what overlays need (the oriented RGB pixels). */
export interface CaptionedImage {
  result: CaptionResult;
  prepared: PreparedImage;
  /** The best hypothesis without its per-step record (α, β per word are in result.tokens). */
  hypothesis: Omit<Hypothesis, 'steps'>;
}

/** Receives each word of image `image` as the decoder emits it (see Captioner.caption). */
export type OnWord = (image: number, token: Token) => void;

export interface CaptionEngine {
  info(): ModelsInfo;
  has(kind: Attention): boolean;
  /** Decodes and checks one upload (throws UnsupportedImageError / ImageTooLargeError). */
  prepare(image: Buffer): Promise<PreparedImage>;
  /** `onWord`: each word as the decoder emits it (see Captioner.caption); without it no word is sent anywhere. */
  caption(images: (Buffer | PreparedImage)[], o: CaptionOptions, onWord?: OnWord): Promise<CaptionedImage[]>;
  /** Caption + render in one go (in the worker, for the pool: the blending is CPU work too). */
  overlay(prepared: PreparedImage, o: CaptionOptions, draw: DrawOptions): Promise<OverlayOutput>;
  /** Per-worker health and tfjs tensor counts, for /readyz and /metrics. */
  workerStats(): WorkerStats[];
  /** False while no worker is able to take a job (all restarting). */
  available(): boolean;
  dispose(): Promise<void>;
}
