// The frozen CNN: one ONNX session giving region features (for attention) and logits (for tags).
import { readFile } from 'node:fs/promises';
import ort from 'onnxruntime-node';
import { imageSessionOptions } from '../runtime/ort-options.ts';
import { exposeFeatures, FEATURES_OUTPUT } from './graph.ts';
import { loadLabels } from './labels.ts';
import { encoderManifest } from './manifest.ts';
import { ensureEncoderFile } from './provision.ts';

/** 224 and 448: what decoders are trained on; 896: the fine pass of a 448 model (fine focus maps). */
export type InputSize = 224 | 448 | 896;

export interface EncoderLoadOptions {
  modelsDir: string;
  inputSize: InputSize;
  allowDownload?: boolean;
  /** Default 1: inference shares the machine with the server / training. */
  intraOpThreads?: number;
}

export interface EncodeResult {
  /** [N, h*w, featureDim], region-major: region r = y*w + x of image n at [n, r, :]. */
  features: Float32Array;
  /** [N, numClasses] raw classifier logits. */
  logits: Float32Array;
}

export interface Tag {
  label: string;
  score: number;
}

export class Encoder {
  readonly id = encoderManifest.id;
  readonly sha256 = encoderManifest.sha256;
  private constructor(
    private session: ort.InferenceSession,
    readonly inputSize: InputSize,
    readonly grid: { h: number; w: number },
    readonly featureDim: number,
    readonly labels: string[],
  ) {}

  static async load(opts: EncoderLoadOptions): Promise<Encoder> {
    const path = await ensureEncoderFile(opts.modelsDir, { allowDownload: opts.allowDownload });
    const bytes = exposeFeatures(await readFile(path));
    const session = await ort.InferenceSession.create(bytes, imageSessionOptions(opts.intraOpThreads ?? 1));
    // A probe run reads the real grid/dims off the graph instead of hard-coding stride 32.
    const s = opts.inputSize;
    const probe = await session.run({ input: new ort.Tensor('float32', new Float32Array(3 * s * s), [1, 3, s, s]) });
    const [, h, w, dim] = probe[FEATURES_OUTPUT].dims;
    const classes = probe.output.dims[1];
    return new Encoder(session, s, { h, w }, dim, loadLabels(classes));
  }

  /** Encodes a batch of prepared [3, S, S] tensors in a single session.run. */
  async encode(tensors: Float32Array[]): Promise<EncodeResult> {
    const n = tensors.length;
    const s = this.inputSize;
    const plane = 3 * s * s;
    if (n === 0) return { features: new Float32Array(0), logits: new Float32Array(0) };
    tensors.forEach((t, i) => {
      if (t.length !== plane) throw new Error(`encode: tensor ${i} has ${t.length} values, expected ${plane}`);
    });
    // One image (every run at 448, see encodeChunk) is fed as it is; several are laid end to end.
    const batch = n === 1 ? tensors[0] : new Float32Array(n * plane);
    if (n > 1) tensors.forEach((t, i) => batch.set(t, i * plane));
    const out = await this.session.run({ input: new ort.Tensor('float32', batch, [n, 3, s, s]) });
    // Region-major already: the edited graph transposes the map (graph.ts).
    return { features: out[FEATURES_OUTPUT].data as Float32Array, logits: out.output.data as Float32Array };
  }

  /** Top-k ImageNet classes of one image's logits, scores as softmax probabilities. */
  topTags(logits: Float32Array, k = 5): Tag[] {
    return this.topClasses(logits, k).map(({ label, score }) => ({ label, score }));
  }

  /** The k most likely ImageNet classes with their indices (softmax over the 1000 logits). */
  topClasses(logits: Float32Array, k = 5): (Tag & { index: number })[] {
    let max = -Infinity;
    for (const v of logits) max = Math.max(max, v);
    let sum = 0;
    for (const v of logits) sum += Math.exp(v - max);
    return Array.from(logits, (v, i) => ({ i, v }))
      .sort((a, b) => b.v - a.v)
      .slice(0, k)
      .map(({ i, v }) => ({ index: i, label: this.labels[i], score: Math.exp(v - max) / sum }));
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
