// The service's grounding stage: load the object detector when MODELS_DIR has it, and turn its
// detections of an image into the answer's `detections` and each object word's `grounding`.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { PreparedImage } from '../encoder/preprocess.ts';
import { Detector } from '../detector/detector.ts';
import type { RawDetection } from '../detector/types.ts';
import { assignGrounding, type WordGrounding } from '../grounding/assign.ts';
import { DISPLAY_THRESHOLD, shownDetections, toApiDetection } from '../grounding/detections.ts';
import { encodeChunk } from './encode.ts';
import type { CaptionOptions, Detection, Grounding, ModelsInfo } from '../service/schemas.ts';

/** What the captioner needs of the detector stage (src/detector/). */
export interface ObjectDetector {
  readonly id: string;
  readonly sha256: string;
  readonly inputSize: number;
  detect(images: PreparedImage[]): Promise<RawDetection[][]>;
  dispose?(): unknown;
}

/** Where the detector's files are expected, relative to MODELS_DIR. */
export const DETECTOR_FILES = ['detector/centernet.json', 'detector/centernet.bin'] as const;

/**
 * The detector when MODELS_DIR holds its files, else null: the service still starts and
 * captions without boxes, and says so in the log and in /v1/models.
 */
export async function loadDetector(modelsDir: string, opts: { intraOpThreads: number; tensorSize: number; allowDownload?: boolean }, log: (msg: string) => void): Promise<ObjectDetector | null> {
  const missing = DETECTOR_FILES.filter((f) => !existsSync(join(modelsDir, f)));
  const ungrounded = (why: string) => {
    log(`no object detector (${why}): words get no boxes, and the decoding's grounding reads the encoder's ImageNet classes only`);
    return null;
  };
  if (missing.length && !opts.allowDownload) return ungrounded(`${missing.join(', ')} missing in ${resolve(modelsDir)}`);
  // It reads the encoder's prepared tensor (one decode per image), so it is told that tensor's side.
  // Missing files are fetched from models/detector.json's official URL when allowed (like the
  // encoder, sha256 checked); a failed fetch leaves the service running ungrounded.
  let detector: ObjectDetector;
  try {
    detector = await Detector.load({ modelsDir, intraOpThreads: opts.intraOpThreads, tensorSize: opts.tensorSize, allowDownload: Boolean(opts.allowDownload) });
  } catch (err) {
    if (!missing.length) throw err; // files present but wrong (sha256): a clear start-up error
    return ungrounded(`${missing.join(', ')} missing in ${resolve(modelsDir)} and not downloaded: ${err instanceof Error ? err.message : err}`);
  }
  log(`object detector: ${detector.id} (input ${detector.inputSize}×${detector.inputSize}, sha256 ${detector.sha256.slice(0, 12)}…); words are grounded by default`);
  return detector;
}

export function detectorInfo(d: ObjectDetector | null): ModelsInfo['detector'] {
  return d && { id: d.id, sha256: d.sha256, inputSize: d.inputSize, displayThreshold: DISPLAY_THRESHOLD };
}

/** Whether a request's images go through the detector: when there is one, unless grounding=false. */
export function groundingOn(o: Pick<CaptionOptions, 'grounding'>, hasDetector: boolean): boolean {
  return hasDetector && o.grounding;
}

/** Detections of the images marked `wanted` (undefined for the others) and the time they took, ms. */
export async function detectAll(detector: ObjectDetector | null, prepared: PreparedImage[], wanted: boolean[]): Promise<{ raw: (RawDetection[] | undefined)[]; ms: number }> {
  const raw: (RawDetection[] | undefined)[] = prepared.map(() => undefined);
  const idx = wanted.flatMap((w, n) => (w ? [n] : []));
  if (!detector || !idx.length) return { raw, ms: 0 };
  const t0 = performance.now();
  // In runs of encodeChunk() images (tensor side √(length/3)), as the encoder: activations grow
  // with the batch, speed does not.
  const chunk = encodeChunk(Math.sqrt(prepared[idx[0]].tensor.length / 3));
  for (let i = 0; i < idx.length; i += chunk) {
    const some = idx.slice(i, i + chunk);
    const found = await detector.detect(some.map((n) => prepared[n]));
    some.forEach((n, k) => { raw[n] = found[k]; });
  }
  return { raw, ms: Math.round((performance.now() - t0) * 10) / 10 };
}

/** One image's detections as the answer lists them, and the grounding of any word given its attention. */
export class ImageObjects {
  readonly detections: Detection[];
  private readonly shown: ReturnType<typeof shownDetections>;

  constructor(raw: readonly RawDetection[], image: { width: number; height: number }, private readonly grid: { h: number; w: number }) {
    this.shown = shownDetections(raw);
    this.detections = this.shown.map((d) => toApiDetection(d, image.width, image.height));
  }

  /** The token's `grounding` for a word with attention α (flat h×w), or undefined for a word that names no category. */
  word(word: string, alpha: ArrayLike<number>): Grounding | undefined {
    const [g] = assignGrounding([{ word, alpha }], this.shown, this.grid);
    return g && this.toApi(g);
  }

  private toApi(g: WordGrounding): Grounding {
    if (!('detection' in g)) return g as Grounding;
    const d = this.detections[g.detection];
    return { category: d.category, box: d.box, score: d.score, detection: g.detection, attentionMass: g.attentionMass };
  }
}
