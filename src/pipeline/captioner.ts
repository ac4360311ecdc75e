import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { resolveDecoderRuntime } from '../runtime/threads.ts';
import { Encoder, type InputSize } from '../encoder/encoder.ts';
import { prepareImage, type PreparedImage, type PrepareOptions } from '../encoder/preprocess.ts';
import { defaultConfig, type Attention, type DecoderConfig } from '../model/config.ts';
import { loadDecoder } from '../model/io.ts';
import { OrtDecoder } from '../model/ort-decoder.ts';
import { initParams } from '../model/params.ts';
import type { DecoderRuntime, StepDecoder } from '../model/step.ts';
import { Vocabulary, SPECIALS } from '../data/vocab.ts';
import type { WordStep } from '../decoding/types.ts';
import type { FineFeatures } from '../decoding/focus.ts';
import { imageGrounding } from '../decoding/grounding.ts';
import { PHRASES } from '../grounding/categories.ts';
import type { RawDetection } from '../detector/types.ts';
import { mulberry32 } from '../util/rng.ts';
import { assess } from './confidence.ts';
import type { CaptionedImage, OnWord, OverlayOutput, RunOptions } from '../service/engine.ts';
import { ModelUnavailableError } from '../service/errors.ts';
import { batchKey, isRandomDecoding, wantsFineFocus } from '../service/options.ts';
import { decodeImages, toToken } from './decode.ts';
import { encodeAll } from './encode.ts';
import { detectAll, detectorInfo, groundingOn, ImageObjects, loadDetector, type ObjectDetector } from './grounding.ts';
import { DecoderSlot } from './decoders.ts';
import { captionOverlay } from './overlay.ts';
import type { DrawOptions } from '../render/types.ts';
import type { CaptionResult, DecoderInfo, DecodingPlan, ModelsInfo, Token, WorkerStats } from '../service/schemas.ts';

export interface CaptionerOptions {
  modelsDir: string; // holds the encoder file, soft/ and hard/
  allowDownload?: boolean; // fetch the encoder from its official URL when missing
  maxPixels?: number;
  log?: (msg: string) => void;
  /** Which runtime runs the decoder (default auto: ort, or tfjs when tfjs-node-gpu is installed). */
  runtime?: DecoderRuntime | 'auto';
  /** ONNX Runtime intra-op threads for the encoder and the ort decoder (default 1). */
  intraOpThreads?: number;
}

/**
 * The whole pipeline behind one call: sharp preprocessing → MobileNetV2 annotation vectors →
 * Show-Attend-Tell decoder (soft or hard) → beam search / greedy / sampling, with per-word maps.
 * Runs at once on the calling thread, with no line to wait in: the CLI and scripts call it
 * directly; each executor of the engine (a worker thread, or the in-thread one) runs its jobs on one.
 * It takes prepared images (prepare()) and a resolved decoding plan (service/options.ts).
 */
export class Captioner {
  private constructor(
    readonly encoder: Encoder,
    readonly decoders: Map<Attention, DecoderSlot>,
    readonly backend: string,
    readonly runtime: DecoderRuntime,
    readonly warnings: string[],
    private readonly opts: CaptionerOptions,
    /** The COCO object detector that grounds object words; null when MODELS_DIR lacks it. */
    readonly detector: ObjectDetector | null,
    private readonly tfjs?: Tfjs,
  ) {}

  /** The encoder at twice the input size, for fine focus maps: loaded on the first request that wants them (its first run sizes ONNX Runtime's arena, ~100 MB). */
  private fineEncoder?: Promise<Encoder>;

  static async load(opts: CaptionerOptions): Promise<Captioner> {
    const log = opts.log ?? (() => {});
    const runtime = resolveDecoderRuntime(opts.runtime ?? 'auto');
    const threads = opts.intraOpThreads ?? 1;
    let backend = ORT_BACKEND;
    let tfjs: Tfjs | undefined;
    if (runtime === 'tfjs') {
      tfjs = await loadTfjs();
      backend = await tfjs.initBackend();
      const skipped = tfjs.backendInfo().skipped.map((s) => `${s.name} (${s.error})`);
      log(`decoder runtime: tfjs, backend ${backend}${skipped.length ? `; skipped ${skipped.join(', ')}` : ''}`);
    } else {
      log(`decoder runtime: ort (onnxruntime-node, CPU, ${threads} intra-op thread${threads > 1 ? 's' : ''})`);
    }
    // ort: the graphs are built from the parameters and the vector is dropped; tfjs keeps it.
    const make = (config: DecoderConfig, vocab: Vocabulary, params: Float32Array): StepDecoder =>
      tfjs ? new tfjs.TfjsStepDecoder(new tfjs.Decoder(config, vocab, params)) : new OrtDecoder(config, vocab, params, { intraOpThreads: threads });
    const warnings: string[] = [];
    const decoders = new Map<Attention, DecoderSlot>();
    let inputSize: InputSize = 224;
    for (const kind of ['soft', 'hard'] as const) {
      const dir = resolve(opts.modelsDir, kind);
      if (!existsSync(join(dir, 'config.json'))) continue;
      const saved = await loadDecoder(dir);
      // One encoder serves both decoders, so they must want the same input size (grid).
      if (decoders.size && saved.config.encoder.inputSize !== inputSize)
        throw new Error(`${dir}: encoder input ${saved.config.encoder.inputSize} differs from the other decoder's ${inputSize}; both decoders in MODELS_DIR must use the same input size`);
      inputSize = saved.config.encoder.inputSize as InputSize;
      const info = describe(kind, saved.config, saved.vocab, kind, saved.card);
      // The first (soft when there is one: the default) is built now, the other on its first request.
      const lazy = decoders.size > 0;
      decoders.set(kind, lazy ? DecoderSlot.later(info, saved.config, dir, make) : DecoderSlot.ready(info, make(saved.config, saved.vocab, saved.params)));
      log(`decoder ${kind}: ${dir} (vocabulary ${saved.vocab.size}, grid ${saved.config.grid.h}x${saved.config.grid.w}${saved.config.trained ? '' : ', UNTRAINED'}${lazy ? '; built on its first request' : ''})`);
    }
    const encoder = await Encoder.load({ modelsDir: opts.modelsDir, inputSize, allowDownload: opts.allowDownload, intraOpThreads: threads });
    if (!decoders.size) {
      // No trained model yet: serve a randomly initialised decoder and say so everywhere.
      const vocab = new Vocabulary([...SPECIALS]);
      const config = defaultConfig({ vocabSize: vocab.size, grid: encoder.grid, featureDim: encoder.featureDim, encoder: { id: encoder.id, sha256: encoder.sha256, inputSize: encoder.inputSize }, trained: false });
      const decoder = make(config, vocab, initParams(config, mulberry32(1)));
      decoders.set('soft', DecoderSlot.ready(describe('soft', config, vocab, null), decoder));
      const msg = 'no trained decoder in MODELS_DIR (expected soft/ or hard/): serving an UNTRAINED decoder, captions are meaningless';
      warnings.push(msg); // no absolute path: /v1/models is public
      log(`WARNING: ${msg} (${resolve(opts.modelsDir)})`);
    }
    for (const [kind, { config: c }] of decoders) {
      if (c.encoder.sha256 !== encoder.sha256 || c.grid.h !== encoder.grid.h || c.grid.w !== encoder.grid.w || c.featureDim !== encoder.featureDim)
        throw new Error(`decoder ${kind} was trained on ${c.encoder.id} ${c.grid.h}x${c.grid.w}x${c.featureDim} features, the encoder gives ${encoder.id} ${encoder.grid.h}x${encoder.grid.w}x${encoder.featureDim}`);
    }
    const detector = await loadDetector(opts.modelsDir, { intraOpThreads: threads, tensorSize: encoder.inputSize, allowDownload: opts.allowDownload }, log);
    return new Captioner(encoder, decoders, backend, runtime, warnings, opts, detector, tfjs);
  }

  info(): ModelsInfo {
    const e = this.encoder;
    return {
      encoder: { id: e.id, sha256: e.sha256, inputSize: e.inputSize, grid: e.grid, featureDim: e.featureDim },
      decoders: [...this.decoders.values()].map((d) => d.info),
      detector: detectorInfo(this.detector),
      backend: this.backend,
      runtime: this.runtime,
      default: this.decoders.has('soft') ? 'soft' : 'hard',
      warnings: this.warnings,
    };
  }

  has(kind: Attention): boolean {
    return this.decoders.has(kind);
  }

  /** Largest upload prepare() decodes, in pixels (undefined: the default limit). */
  get maxPixels(): number | undefined {
    return this.opts.maxPixels;
  }

  /** Decodes and checks one upload (throws UnsupportedImageError / ImageTooLargeError). */
  prepare(image: Buffer, opts: Pick<PrepareOptions, 'pixels' | 'fine'> = {}): Promise<PreparedImage> {
    return prepareImage(image, this.encoder.inputSize, { maxPixels: this.opts.maxPixels, pixels: opts.pixels, fine: opts.fine });
  }

  /** Annotation vectors of images' fine squares (PreparedImage.fine) on the fine encoder's grid, one per image asked for; undefined where not wanted or not prepared. */
  private async encodeFine(prepared: PreparedImage[], wanted: boolean[], images: number[]): Promise<(FineFeatures | undefined)[]> {
    const todo = images.filter((n) => wanted[n] && prepared[n].fine);
    if (!todo.length) return [];
    const encoder = await (this.fineEncoder ??= Encoder.load({ modelsDir: this.opts.modelsDir, inputSize: (2 * this.encoder.inputSize) as InputSize, intraOpThreads: this.opts.intraOpThreads ?? 1 }));
    const { features } = await encodeAll(encoder, todo.map((n) => ({ ...prepared[n], tensor: prepared[n].fine! })));
    const per = encoder.grid.h * encoder.grid.w * encoder.featureDim;
    const at = new Map(todo.map((n, k) => [n, k]));
    return images.map((n) => {
      const k = at.get(n);
      return k === undefined ? undefined : { features: features.subarray(k * per, (k + 1) * per), grid: encoder.grid };
    });
  }

  /**
   * Captions several images: greedy and beam search decode them as one batch (the beams of all
   * images are the rows of one decoder step); sampling decodes each image with its own stream.
   *
   * `onWord(image, token)` streams the words (same Token as in the result's `tokens`, with the
   * attention grid when includeMaps): greedy and sampling call it while decoding runs, as each
   * image gets its next word (words of different images interleave); beam search only knows
   * its captions when the search ends, so it calls it for each image's best beam's words then.
   * Per image, calls come in caption order, all before caption() resolves.
   */
  async caption(images: PreparedImage[], plan: DecodingPlan, run: Pick<RunOptions, 'onWord'> = {}): Promise<CaptionedImage[]> {
    const [out] = await this.captionParts([{ images, plan, onWord: run.onWord }]);
    return out;
  }

  /**
   * Captions the images of several requests together (batching across requests): their plans
   * must share one batchKey, so the search is the same for all; per-request options that only
   * shape the answer (nBest, includeMaps, mapDecimals, tags) apply per part. Each part's results
   * are what caption() alone would give it, in its own order.
   */
  async captionParts(parts: CaptionPart[]): Promise<CaptionedImage[][]> {
    const o = parts[0].plan;
    const key = batchKey(o);
    if (parts.length > 1 && (key === undefined || parts.some((p) => batchKey(p.plan) !== key))) throw new Error('captionParts: the parts do not share one batch key');
    const entry = this.decoders.get(o.attention);
    if (!entry) throw new ModelUnavailableError(`no ${o.attention}-attention decoder is loaded (have: ${[...this.decoders.keys()].join(', ')})`);
    const { info } = entry;
    const decoder = await entry.decoder();
    const t0 = performance.now();
    const prepared = parts.flatMap((p) => p.images);
    const t1 = performance.now();
    // Which part and image of it global image n is.
    const owner = parts.flatMap((p, part) => p.images.map((_, image) => ({ part, image })));
    const grounded = parts.map((p) => groundingOn(p.plan, this.detector !== null));
    // Detections a caller already has (evaluation from a file) are used as given; the detector
    // runs on the rest, beside the encoder (ONNX Runtime runs both sessions off this thread).
    const given = owner.map(({ part, image }) => parts[part].detections?.[image]);
    const [{ features, logits }, detected] = await Promise.all([encodeAll(this.encoder, prepared), detectAll(this.detector, prepared, owner.map((x, n) => grounded[x.part] && !given[n]))]);
    const t2 = performance.now();
    const grid = decoder.config.grid;
    const raw = owner.map((x, n) => (grounded[x.part] ? given[n] ?? detected.raw[n] : undefined));
    const objects = raw.map((r, n) => r && new ImageObjects(r, prepared[n], grid));
    // Grounding picks a word's box by its attention: the maps are needed even when not returned.
    const maps = parts.some((p, i) => p.plan.includeMaps || grounded[i]);
    // The second word of a two-word name ("stop sign") is grounded as the name.
    const token = (n: number, s: WordStep, po: DecodingPlan, previous?: string): Token => {
      const t = toToken(s, grid, po);
      const phrase = previous && `${previous} ${s.word}`;
      const g = objects[n]?.word(phrase && PHRASES[phrase] ? phrase : s.word, s.alpha);
      if (g) t.grounding = g;
      return t;
    };
    const said: string[] = owner.map(() => '');
    const onStep = parts.some((p) => p.onWord) ? (n: number, s: WordStep) => {
      const { part, image } = owner[n];
      parts[part].onWord?.(image, token(n, s, parts[part].plan, said[n]));
      said[n] = s.word;
    } : undefined;
    // ImageNet top-10 per image, ranked once: the grounding rules read all 10, results the first 5.
    const top = owner.map((_, n) => this.encoder.topClasses(logits.subarray(n * 1000, (n + 1) * 1000), 10));
    // Grounding rules per image: its detections (when a detector ran) and ImageNet top-10.
    const grounding = o.grounding
      ? owner.map((_, n) => imageGrounding(decoder.vocab.words, { detections: raw[n], imagenet: top[n], grid }, undefined, decoder.config.supportedOnly))
      : undefined;
    // Fine focus maps (src/decoding/focus.ts) for the parts that show focus maps and ask for them.
    const fineWanted = owner.map(({ part }) => wantsFineFocus(parts[part].plan));
    let fineMs = 0; // the second encoder pass happens inside decoding; timings count it as encoding
    const fine = async (images: number[]) => {
      const t = performance.now();
      try {
        return await this.encodeFine(prepared, fineWanted, images);
      } finally {
        fineMs += performance.now() - t;
      }
    };
    const hyps = await decodeImages(decoder, features, o, maps, onStep, grounding, parts.some((p) => p.plan.includeMaps), fine);
    const t3 = performance.now();
    const { h, w } = grid;
    // Encoding and detection overlap: encodeMs is both, detectMs the detector's own share.
    const timings = { preprocessMs: round(t1 - t0), encodeMs: round(t2 - t1 + fineMs), decodeMs: round(t3 - t2 - fineMs), batchImages: prepared.length };
    return parts.map((part, p) =>
      part.images.map((_, i) => {
        const n = owner.findIndex((x) => x.part === p && x.image === i);
        const po = part.plan;
        // Random decoding: nBest differently seeded samples; beam search: at most beamSize.
        const nBest = isRandomDecoding(po) ? po.nBest : Math.min(po.nBest, po.beamSize);
        const best = hyps[n][0];
        const img = prepared[n];
        const caption = best.words.join(' ');
        const classes = top[n].slice(0, 5);
        const tokens = best.steps.map((s, i) => token(n, s, po, best.steps[i - 1]?.word));
        const fg = focusGrid(tokens);
        const evidence = objects[n] && { detections: objects[n].detections, groundings: tokens.map((t) => t.grounding) };
        const { confidence, warnings, ...confidenceInputs } = assess(caption, best.words.length, best.logprob, classes, (w) => decoder.vocab.has(w), best.truncated, evidence);
        const result: CaptionResult = {
          caption,
          logprob: best.logprob,
          confidence,
          warnings,
          confidenceInputs,
          truncated: Boolean(best.truncated),
          tokens,
          alternatives: hyps[n].slice(0, nBest).map((x) => ({ caption: x.words.join(' '), logprob: x.logprob, score: x.score, truncated: Boolean(x.truncated) })),
          grid: { h, w },
          ...(fg ? { focusGrid: fg } : {}),
          model: { id: info.id, attention: po.attention, trained: info.trained },
          backend: this.backend,
          runtime: decoder.runtime,
          image: { width: img.width, height: img.height, format: img.format },
          timings: objects[n] ? { ...timings, detectMs: detected.ms } : timings,
        };
        if (objects[n]) result.detections = objects[n].detections;
        if (po.tags) result.tags = classes.map(({ label, score }) => ({ label, score }));
        // Not the per-step record (best.steps): the tokens above carry what callers need.
        const hypothesis = { ids: best.ids, words: best.words, logprob: best.logprob, score: best.score, truncated: best.truncated };
        return { result, prepared: img, hypothesis };
      }),
    );
  }

  /** Caption + render on this thread (a worker executor's thread runs exactly this). */
  overlay(prepared: PreparedImage, plan: DecodingPlan, draw: DrawOptions): Promise<OverlayOutput> {
    return captionOverlay(this, prepared, plan, draw);
  }

  /** tfjs tensors and this isolate's heap (the ort decoder never starts tfjs: no tensors). */
  memory(): Pick<WorkerStats, 'numTensors' | 'numBytes' | 'heapUsed'> {
    const m = this.tfjs?.tf.memory() ?? { numTensors: 0, numBytes: 0 };
    return { numTensors: m.numTensors, numBytes: m.numBytes, heapUsed: process.memoryUsage().heapUsed };
  }

  async dispose(): Promise<void> {
    for (const slot of this.decoders.values()) await slot.dispose();
    await this.encoder.dispose();
    await (await this.fineEncoder)?.dispose();
    await this.detector?.dispose?.();
  }
}

/**
 * The tfjs decoder runtime, imported only when it is chosen: tfjs costs about 30 MB resident per
 * thread (each inference worker, and the HTTP thread) that the ort decoder never uses.
 */
async function loadTfjs() {
  const [backend, { Decoder }, { TfjsStepDecoder }, tf] = await Promise.all([
    import('../runtime/backend.ts'), import('../model/tfjs-decoder.ts'), import('../model/tfjs-step.ts'), import('../runtime/tf.ts'),
  ]);
  return { initBackend: backend.initBackend, backendInfo: backend.backendInfo, Decoder, TfjsStepDecoder, tf };
}
type Tfjs = Awaited<ReturnType<typeof loadTfjs>>;

/** `backend` in answers when the decoder runs on ONNX Runtime (tfjs reports its backend name). */
export const ORT_BACKEND = 'onnxruntime-cpu';

/** Images of one request, its plan and where its words go (see Captioner.captionParts). */
export interface CaptionPart {
  images: PreparedImage[];
  plan: DecodingPlan;
  /** per image: the detector's boxes (undefined: no detector ran), for the grounding rules */
  detections?: (readonly RawDetection[] | undefined)[];
  /** Each word of this part's images as the decoder emits it (see caption()). */
  onWord?: OnWord;
}

function describe(kind: Attention, c: DecoderConfig, vocab: Vocabulary, path: string | null, card?: Record<string, unknown>): DecoderInfo {
  return {
    id: `show-attend-tell-${kind}-${c.encoder.id}-${c.grid.h}x${c.grid.w}`,
    attention: kind,
    trained: c.trained,
    path,
    vocabularySize: vocab.size,
    grid: c.grid,
    dims: { embed: c.embedDim, hidden: c.hiddenDim, attention: c.attentionDim, feature: c.featureDim },
    ...(card ? { card } : {}),
  };
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/** The grid of the tokens' focus maps (rows × columns of the first one), undefined when none has one. */
function focusGrid(tokens: Token[]): { h: number; w: number } | undefined {
  const f = tokens.find((t) => t.focus)?.focus;
  return f && { h: f.length, w: f[0].length };
}

export { encodeChunk } from './encode.ts';
