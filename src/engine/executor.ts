// What the engine's line hands its work to: an executor runs one job at a time, either on the
// calling thread (local.ts, a Captioner) or in a worker thread (worker-executor.ts). The engine
// takes a group of jobs from the line and runs it with runGroup(), the same for every executor.
import type { PreparedImage } from '../encoder/preprocess.ts';
import type { DrawOptions } from '../render/types.ts';
import type { CaptionPart } from '../pipeline/captioner.ts';
import type { CaptionedImage, OnWord, OverlayOutput } from '../service/engine.ts';
import type { Queueable, Ticket } from './queue.ts';
import type { DecodingPlan, WorkerStats } from '../service/schemas.ts';

export interface Executor {
  /** False while it cannot take a job (a worker starting or restarting, or stopped). */
  readonly ready: boolean;
  /** Set by the engine: called when the executor becomes ready again (a restarted worker). */
  onReady?: () => void;
  /** Captions the parts as one batch (Captioner.captionParts): per part, per image. */
  captionParts(parts: CaptionPart[]): Promise<CaptionedImage[][]>;
  /** Captions one image and renders its overlay (Captioner.overlay). */
  overlay(prepared: PreparedImage, plan: DecodingPlan, draw: DrawOptions): Promise<OverlayOutput>;
  /** Health and tensor counts, for /readyz and /metrics. */
  stats(): WorkerStats;
  stop(): Promise<void>;
}

/** A request in the line: captions (batchable with others of the same key) or an overlay. */
export type EngineJob = Queueable & (
  | { kind: 'caption'; images: PreparedImage[]; plan: DecodingPlan; onWord?: OnWord }
  | { kind: 'overlay'; prepared: PreparedImage; plan: DecodingPlan; draw: DrawOptions }
);
export type EngineAnswer = CaptionedImage[] | OverlayOutput;
export type EngineTicket = Ticket<EngineJob, EngineAnswer>;

/**
 * Runs the jobs the line gave out together on one executor and settles each: caption jobs as
 * the parts of one batch (each request gets its own images' results), an overlay alone.
 */
export async function runGroup(executor: Executor, group: EngineTicket[]): Promise<void> {
  const [first] = group;
  try {
    if (first.job.kind === 'overlay') {
      const { prepared, plan, draw } = first.job;
      first.resolve(await executor.overlay(prepared, plan, draw));
      return;
    }
    const parts = group.map((ticket): CaptionPart => {
      const job = ticket.job as Extract<EngineJob, { kind: 'caption' }>;
      const { onWord } = job;
      // A caller that gave up gets no more words (its stream is gone).
      return { images: job.images, plan: job.plan, onWord: onWord && ((image, token) => { if (!ticket.abandoned) onWord(image, token); }) };
    });
    const out = await executor.captionParts(parts);
    group.forEach((ticket, i) => ticket.resolve(out[i]));
  } catch (err) {
    group.forEach((ticket) => ticket.reject(err as Error));
  }
}
