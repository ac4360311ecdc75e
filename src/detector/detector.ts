// The COCO detector stage: CenterNet (TF.js graph model) translated to ONNX at load time and run
// on ONNX Runtime beside the encoder. It reads the encoder's own prepared tensor (448², CHW,
// ImageNet-normalised), so an image is decoded once: the graph undoes the normalisation and
// resizes to the detector's input size itself.
import ort from 'onnxruntime-node';
import { IMAGENET_MEAN, IMAGENET_STD, type PreparedImage } from '../encoder/preprocess.ts';
import { GraphBuilder } from '../runtime/onnx-builder.ts';
import { imageSessionOptions } from '../runtime/ort-options.ts';
import { decodeCenterNet } from './centernet.ts';
import { detectorManifest } from './manifest.ts';
import { ensureDetectorFiles } from './provision.ts';
import { readTfGraph, type TfGraph } from './tfjs-graph.ts';
import { translate } from './translate.ts';
import type { RawDetection } from './types.ts';

/** The input side chosen by measured quality and speed (docs/detector.md). */
export const DEFAULT_DETECTOR_SIZE = 384;
/** Detections below this are never returned (callers threshold higher). */
export const DEFAULT_MIN_SCORE = 0.1;
const CLASSES = 80;
// The graph is cut before its post-processing tail (TopKV2 etc.): centernet.ts decodes these.
const HEAT = 'tower_0/keypoints';
const WH = 'tower_0/wh';

export interface DetectorLoadOptions {
  modelsDir: string;
  /** Default 1: the server runs one intra-op thread per worker. */
  intraOpThreads?: number;
  allowDownload?: boolean;
  /** Side of the prepared tensors given to detect() (PreparedImage.tensor). Default 448. */
  tensorSize?: number;
  /** Side the detector runs at, a multiple of 32. Default DEFAULT_DETECTOR_SIZE. */
  inputSize?: number;
  minScore?: number;
  /** Which manifest entry; default the manifest's default (centernet). */
  name?: string;
}

/**
 * ONNX model: image [N, 3, T, T] ImageNet-normalised → heat [N, 80, S/4, S/4], wh [N, 4, S/4, S/4].
 * pixels = 255·(x·std + mean); resizing first is the same (bilinear weights sum to 1) and cheaper.
 */
export function buildCenterNetOnnx(graph: TfGraph, exportSize: number, tensorSize: number, inputSize: number): Uint8Array {
  const g = new GraphBuilder('centernet');
  let x = g.input('image', 'float', ['N', 3, tensorSize, tensorSize]);
  if (inputSize !== tensorSize) {
    const sizes = g.op('Concat', [g.op('Shape', [x], { start: 0, end: 2 }), g.ints([inputSize, inputSize])], { axis: 0 });
    x = g.op('Resize', [x, '', '', sizes], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' });
  }
  const scale = g.floats('denorm_scale', Float32Array.from(IMAGENET_STD, (s) => 255 * s), [3, 1, 1]);
  const shift = g.floats('denorm_shift', Float32Array.from(IMAGENET_MEAN, (m) => 255 * m), [3, 1, 1]);
  const pixels = g.op('Add', [g.op('Mul', [x, scale]), shift]);
  const placeholder = graph.nodes.find((n) => n.op === 'Placeholder');
  if (!placeholder) throw new Error('detector graph: no input placeholder');
  const [heat, wh] = translate(g, graph, { inputs: { [placeholder.name]: pixels }, outputs: [HEAT, WH], sizeRatio: inputSize / exportSize });
  const cells = inputSize / 4;
  g.output(heat, 'heat', 'float', ['N', CLASSES, cells, cells]);
  g.output(wh, 'wh', 'float', ['N', 4, cells, cells]);
  return g.encode();
}

export class Detector {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly id: string,
    /** sha256 of the weights file (.bin). */
    readonly sha256: string,
    /** Side of the detector's input in pixels. */
    readonly inputSize: number,
    /** Side of the prepared tensors detect() takes. */
    readonly tensorSize: number,
    readonly minScore: number,
  ) {}

  static async load(opts: DetectorLoadOptions): Promise<Detector> {
    const inputSize = opts.inputSize ?? DEFAULT_DETECTOR_SIZE;
    const tensorSize = opts.tensorSize ?? 448;
    if (!Number.isInteger(inputSize / 32) || inputSize <= 0) throw new Error(`detector input size ${inputSize} is not a positive multiple of 32`);
    const name = opts.name ?? detectorManifest.default;
    const files = await ensureDetectorFiles(opts.modelsDir, name, { allowDownload: opts.allowDownload });
    if (name !== 'centernet') throw new Error(`detector "${name}": only CenterNet's outputs are decoded here (docs/detector.md)`);
    const model = buildCenterNetOnnx(await readTfGraph(files.json), files.entry.exportSize, tensorSize, inputSize);
    const session = await ort.InferenceSession.create(model, imageSessionOptions(opts.intraOpThreads ?? 1));
    return new Detector(session, files.entry.id, files.entry.files[1].sha256, inputSize, tensorSize, opts.minScore ?? DEFAULT_MIN_SCORE);
  }

  /** Detections per image (score ≥ minScore, best first), corners as fractions of the image. */
  async detect(images: (PreparedImage | Float32Array)[]): Promise<RawDetection[][]> {
    const n = images.length;
    if (n === 0) return [];
    const t = this.tensorSize;
    const plane = 3 * t * t;
    const tensors = images.map((im, i) => {
      const tensor = im instanceof Float32Array ? im : im.tensor;
      if (tensor.length !== plane) throw new Error(`detect: image ${i} has ${tensor.length} values, expected 3×${t}×${t} = ${plane}`);
      return tensor;
    });
    // One image (every run at 448, see detectAll) is fed as it is: no 2.4 MB copy per image.
    const batch = n === 1 ? tensors[0] : new Float32Array(n * plane);
    if (n > 1) tensors.forEach((tensor, i) => batch.set(tensor, i * plane));
    const out = await this.session.run({ image: new ort.Tensor('float32', batch, [n, 3, t, t]) });
    const [, , h, w] = out.heat.dims;
    const heat = out.heat.data as Float32Array;
    const wh = out.wh.data as Float32Array;
    const heatSize = CLASSES * h * w;
    const whSize = 4 * h * w;
    return Array.from({ length: n }, (_, i) =>
      decodeCenterNet(
        { heat: heat.subarray(i * heatSize, (i + 1) * heatSize), wh: wh.subarray(i * whSize, (i + 1) * whSize), classes: CLASSES, h, w },
        { inputSize: this.inputSize, minScore: this.minScore },
      ),
    );
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
