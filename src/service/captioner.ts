import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '../runtime/tf.ts';
import { backendInfo, initBackend } from '../runtime/backend.ts';
import { Encoder, type InputSize } from '../encoder/encoder.ts';
import { prepareImage, type PreparedImage } from '../encoder/preprocess.ts';
import { defaultConfig, type DecoderConfig } from '../model/config.ts';
import { Decoder, type ContextMode } from '../model/decoder.ts';
import { loadDecoder } from '../model/io.ts';
import { initParams } from '../model/params.ts';
import { Vocabulary, SPECIALS } from '../data/vocab.ts';
import { beamSearch } from '../decoding/beam.ts';
import { argmaxChooser, decodeStepwise, samplingChooser } from '../decoding/stepwise.ts';
import type { Hypothesis, WordStep } from '../decoding/types.ts';
import { deriveSeed, mulberry32 } from '../util/rng.ts';
import { assess } from './confidence.ts';
import type { CaptionOptions, CaptionResult, DecoderInfo, ModelsInfo, Token } from './schemas.ts';

export interface CaptionerOptions {
  modelsDir: string; // holds the encoder file, soft/ and hard/
  allowDownload?: boolean; // fetch the encoder from its official URL when missing
  maxPixels?: number;
  log?: (msg: string) => void;
}

/** One captioned image plus what overlays need (the oriented RGB pixels). */
export interface CaptionedImage {
  result: CaptionResult;
  prepared: PreparedImage;
  hypothesis: Hypothesis;
}

/**
 * The whole pipeline behind one call: sharp preprocessing → MobileNetV2 annotation vectors →
 * Show-Attend-Tell decoder (soft or hard) → beam search / greedy / sampling, with per-word maps.
 */
export class Captioner {
  private constructor(
    readonly encoder: Encoder,
    readonly decoders: Map<'soft' | 'hard', { decoder: Decoder; info: DecoderInfo }>,
    readonly backend: string,
    readonly warnings: string[],
    private readonly opts: CaptionerOptions,
  ) {}

  static async load(opts: CaptionerOptions): Promise<Captioner> {
    const log = opts.log ?? (() => {});
    const backend = await initBackend();
    const skipped = backendInfo().skipped.map((s) => `${s.name} (${s.error})`);
    log(`tfjs backend: ${backend}${skipped.length ? `; skipped ${skipped.join(', ')}` : ''}`);
    const warnings: string[] = [];
    const decoders = new Map<'soft' | 'hard', { decoder: Decoder; info: DecoderInfo }>();
    let inputSize: InputSize = 224;
    for (const kind of ['soft', 'hard'] as const) {
      const dir = resolve(opts.modelsDir, kind);
      if (!existsSync(join(dir, 'config.json'))) continue;
      const saved = await loadDecoder(dir);
      inputSize = saved.config.encoder.inputSize as InputSize;
      decoders.set(kind, { decoder: new Decoder(saved.config, saved.vocab, saved.params), info: describe(kind, saved.config, saved.vocab, kind, saved.card) });
      log(`decoder ${kind}: ${dir} (vocabulary ${saved.vocab.size}, grid ${saved.config.grid.h}x${saved.config.grid.w}${saved.config.trained ? '' : ', UNTRAINED'})`);
    }
    const encoder = await Encoder.load({ modelsDir: opts.modelsDir, inputSize, allowDownload: opts.allowDownload });
    if (!decoders.size) {
      // No trained model yet: serve a randomly initialised decoder and say so everywhere.
      const vocab = new Vocabulary([...SPECIALS]);
      const config = defaultConfig({ vocabSize: vocab.size, grid: encoder.grid, featureDim: encoder.featureDim, encoder: { id: encoder.id, sha256: encoder.sha256, inputSize: encoder.inputSize }, trained: false });
      const decoder = new Decoder(config, vocab, initParams(config, mulberry32(1)));
      decoders.set('soft', { decoder, info: describe('soft', config, vocab, null) });
      const msg = 'no trained decoder in MODELS_DIR (expected soft/ or hard/): serving an UNTRAINED decoder, captions are meaningless';
      warnings.push(msg); // no absolute path: /v1/models is public
      log(`WARNING: ${msg} (${resolve(opts.modelsDir)})`);
    }
    for (const [kind, { decoder }] of decoders) {
      const c = decoder.config;
      if (c.encoder.sha256 !== encoder.sha256 || c.grid.h !== encoder.grid.h || c.grid.w !== encoder.grid.w || c.featureDim !== encoder.featureDim)
        throw new Error(`decoder ${kind} was trained on ${c.encoder.id} ${c.grid.h}x${c.grid.w}x${c.featureDim} features, the encoder gives ${encoder.id} ${encoder.grid.h}x${encoder.grid.w}x${encoder.featureDim}`);
    }
    return new Captioner(encoder, decoders, backend, warnings, opts);
  }

  info(): ModelsInfo {
    const e = this.encoder;
    return {
      encoder: { id: e.id, sha256: e.sha256, inputSize: e.inputSize, grid: e.grid, featureDim: e.featureDim },
      decoders: [...this.decoders.values()].map((d) => d.info),
      backend: this.backend,
      default: this.decoders.has('soft') ? 'soft' : 'hard',
      warnings: this.warnings,
    };
  }

  has(kind: 'soft' | 'hard'): boolean {
    return this.decoders.has(kind);
  }

  /** Decodes and checks one upload (throws UnsupportedImageError / ImageTooLargeError). */
  prepare(image: Buffer): Promise<PreparedImage> {
    return prepareImage(image, this.encoder.inputSize, { maxPixels: this.opts.maxPixels });
  }

  /**
   * Captions several images; greedy and sampling decode them as one batch.
   *
   * `onWord(image, token)` streams the words (same Token as in the result's `tokens`, with the
   * attention grid when includeMaps): greedy and sampling call it while decoding runs, as each
   * image gets its next word (words of different images interleave); beam search only knows
   * its caption when the search ends, so it calls it for the best beam's words right after each
   * image's search. Per image, calls come in caption order, all before caption() resolves.
   */
  async caption(images: (Buffer | PreparedImage)[], o: CaptionOptions, onWord?: OnWord): Promise<CaptionedImage[]> {
    const entry = this.decoders.get(o.attention);
    if (!entry) throw new ModelUnavailableError(`no ${o.attention}-attention decoder is loaded (have: ${[...this.decoders.keys()].join(', ')})`);
    const { decoder, info } = entry;
    const t0 = performance.now();
    const prepared = await Promise.all(images.map((im) => (Buffer.isBuffer(im) ? this.prepare(im) : im)));
    const t1 = performance.now();
    const { features, logits } = await this.encoder.encode(prepared.map((p) => p.tensor));
    const t2 = performance.now();
    const N = prepared.length;
    const L = decoder.regions;
    const D = decoder.config.featureDim;
    const random = o.sample || (o.attention === 'hard' && o.sampleLocations);
    // Random decoding: nBest differently seeded samples; beam search: at most beamSize.
    const nBest = random ? o.nBest ?? 1 : Math.min(o.nBest ?? 3, o.beamSize);
    const seed = o.seed ?? (Math.random() * 2 ** 31) >>> 0;
    const sampleLocations = o.attention === 'hard' && o.sampleLocations;
    const repetitionPenalty = o.repetitionPenalty;
    const hyps: Hypothesis[][] = [];
    const grid = decoder.config.grid;
    const feats = tf.tensor3d(features, [N, L, D]);
    try {
      if (random) {
        // Random draws: each image gets its own stream (seed, image index), so its caption does not
        // depend on which other images share the request; sample j > 0 of it uses (seed, image, j).
        // Beam search over random draws is meaningless.
        for (let n = 0; n < N; n++) {
          const one = tf.tidy(() => feats.slice([n, 0, 0], [1, L, D]));
          const samples: Hypothesis[] = [];
          try {
            for (let j = 0; j < nBest; j++) {
              const rng = mulberry32(j === 0 ? deriveSeed(seed, n) : deriveSeed(seed, n, j));
              const mode: ContextMode = sampleLocations ? { kind: 'sample', rng } : { kind: 'expected' };
              const choose = o.sample ? samplingChooser(rng, o.temperature) : argmaxChooser;
              // Only the first sample (the caption) is streamed.
              const onStep = j === 0 && onWord ? (_k: number, s: WordStep) => onWord(n, toToken(s, grid, o.includeMaps)) : undefined;
              samples.push(decodeStepwise(decoder, one, { maxLength: o.maxLength, choose, mode, details: true, onStep, repetitionPenalty })[0]);
            }
          } finally {
            one.dispose();
          }
          hyps.push(samples);
        }
      } else if (o.beamSize === 1) {
        // Greedy: deterministic, so all images are decoded as one batch.
        const onStep = onWord && ((k: number, s: WordStep) => onWord(k, toToken(s, grid, o.includeMaps)));
        for (const h of decodeStepwise(decoder, feats, { maxLength: o.maxLength, choose: argmaxChooser, details: true, onStep, repetitionPenalty })) hyps.push([h]);
      } else {
        for (let n = 0; n < N; n++) {
          const one = tf.tidy(() => feats.slice([n, 0, 0], [1, L, D]));
          try {
            hyps.push(beamSearch(decoder, one, { beamSize: o.beamSize, maxLength: o.maxLength, nBest, lengthPenalty: o.lengthPenalty, repetitionPenalty }));
          } finally {
            one.dispose();
          }
          // Beam search: the words are only final once the search ends.
          if (onWord) for (const s of hyps[n][0].steps) onWord(n, toToken(s, grid, o.includeMaps));
        }
      }
    } finally {
      feats.dispose();
    }
    const t3 = performance.now();
    const { h, w } = grid;
    return prepared.map((p, n) => {
      const best = hyps[n][0];
      const tokens: Token[] = best.steps.map((s) => toToken(s, grid, o.includeMaps));
      const caption = best.words.join(' ');
      const classes = this.encoder.topClasses(logits.subarray(n * 1000, (n + 1) * 1000), 5);
      const { confidence, warnings, meanLogprob, agreement } = assess(caption, best.words.length, best.logprob, classes, (w) => decoder.vocab.has(w), best.truncated);
      const result: CaptionResult = {
        caption,
        logprob: best.logprob,
        confidence,
        warnings,
        confidenceInputs: { meanLogprob, agreement },
        truncated: Boolean(best.truncated),
        tokens,
        alternatives: hyps[n].slice(0, nBest).map((x) => ({ caption: x.words.join(' '), logprob: x.logprob, score: x.score, truncated: Boolean(x.truncated) })),
        grid: { h, w },
        model: { id: info.id, attention: o.attention, trained: info.trained },
        backend: this.backend,
        image: { width: p.width, height: p.height, format: p.format },
        timings: { preprocessMs: round(t1 - t0), encodeMs: round(t2 - t1), decodeMs: round(t3 - t2) },
      };
      if (o.tags) result.tags = classes.map(({ label, score }) => ({ label, score }));
      return { result, prepared: p, hypothesis: best };
    });
  }

  async dispose(): Promise<void> {
    for (const { decoder } of this.decoders.values()) decoder.dispose();
    await this.encoder.dispose();
  }
}

export class ModelUnavailableError extends Error {}

/** Receives each word of image `image` as the decoder emits it (see Captioner.caption). */
export type OnWord = (image: number, token: Token) => void;

/** A decoded step as the API shows it: α as an h×w grid (includeMaps), the sampled region. */
function toToken(s: WordStep, grid: { h: number; w: number }, includeMaps: boolean): Token {
  const { h, w } = grid;
  const token: Token = { word: s.word, logprob: s.logprob, beta: s.beta };
  if (includeMaps) token.attention = Array.from({ length: h }, (_, r) => Array.from(s.alpha.subarray(r * w, (r + 1) * w)));
  if (s.region !== undefined && s.region >= 0) token.region = { index: s.region, row: Math.floor(s.region / w), col: s.region % w };
  return token;
}

function describe(kind: 'soft' | 'hard', c: DecoderConfig, vocab: Vocabulary, path: string | null, card?: Record<string, unknown>): DecoderInfo {
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
