// The original TF.js graph model run by tfjs-converter: the reference the ONNX translation is
// checked against (test/detector/translate.test.ts) and timed beside (bench/detector.ts).
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as tfc from '@tensorflow/tfjs-converter';
import { IMAGENET_MEAN, IMAGENET_STD } from '../../src/encoder/preprocess.ts';
import * as tf from '../../src/runtime/tf.ts';

/** The 0–255 NHWC pixels a prepared (CHW, ImageNet-normalised) tensor stands for: the graph's input. */
export function pixelsNhwc(chw: Float32Array, size: number): Float32Array {
  const plane = size * size;
  const out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) for (let i = 0; i < plane; i++) out[i * 3 + c] = 255 * (chw[c * plane + i] * IMAGENET_STD[c] + IMAGENET_MEAN[c]);
  return out;
}

export interface TfjsDetector {
  /** NHWC float 0–255 image [1, S, S, 3] → the named outputs, as flat arrays with their shapes. */
  run(nhwc: Float32Array, size: number, outputs: string[]): { data: Float32Array; shape: number[] }[];
  /** Any input shape (NanoDet's graph takes NCHW). */
  runRaw(input: Float32Array, shape: number[], outputs: string[]): { data: Float32Array; shape: number[] }[];
  dispose(): void;
}

type Spec = tf.io.WeightsManifestEntry & { quantization?: { dtype: string } };
const BYTES: Record<string, number> = { float16: 2, float32: 4, int32: 4 };

/**
 * The graph's ResizeBilinear sizes are constants folded for its export size; to run it at
 * another size they are scaled by `ratio` in the weight bytes (the translation does the same).
 */
function scaleResizeSizes(json: { modelTopology: { node: { op: string; input?: string[] }[] } }, specs: Spec[], bin: Buffer, ratio: number): void {
  const sizeInputs = new Set(json.modelTopology.node.filter((n) => n.op === 'ResizeBilinear').map((n) => n.input![1]));
  let offset = 0;
  for (const w of specs) {
    const count = w.shape.reduce((a, b) => a * b, 1);
    if (sizeInputs.has(w.name)) for (let i = 0; i < count; i++) bin.writeInt32LE(bin.readInt32LE(offset + 4 * i) * ratio, offset + 4 * i);
    offset += count * BYTES[w.quantization?.dtype ?? w.dtype];
  }
}

/**
 * Loads model.json + its .bin shards through an in-memory IO handler (no fetch, no tfjs-node),
 * for inputs of side `size` (default: the size it was exported at).
 */
export async function loadTfjsDetector(jsonPath: string, size?: number): Promise<TfjsDetector> {
  const json = JSON.parse(await readFile(jsonPath, 'utf8'));
  const shards = await Promise.all(json.weightsManifest.flatMap((g: { paths: string[] }) => g.paths.map((p) => readFile(join(dirname(jsonPath), p)))));
  const bin = Buffer.concat(shards);
  const specs: Spec[] = json.weightsManifest.flatMap((g: { weights: Spec[] }) => g.weights);
  const input = Object.values(json.signature.inputs)[0] as { tensorShape: { dim: { size: string }[] } };
  const exportSize = Number(input.tensorShape.dim[1].size);
  if (size && size !== exportSize) {
    scaleResizeSizes(json, specs, bin, size / exportSize);
    for (const dims of [input.tensorShape.dim, ...json.modelTopology.node.filter((n: { op: string }) => n.op === 'Placeholder').map((n: { attr: { shape: { shape: { dim: { size: string }[] } } } }) => n.attr.shape.shape.dim)]) {
      dims[1].size = dims[2].size = String(size);
    }
  }
  const handler: tf.io.IOHandler = {
    load: async () => ({
      modelTopology: json.modelTopology,
      format: json.format,
      generatedBy: json.generatedBy,
      convertedBy: json.convertedBy,
      signature: json.signature,
      weightSpecs: specs,
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
    }),
  };
  const model = await tfc.loadGraphModel(handler);
  const inputName = model.inputs[0].name;
  // Explicit disposal, not tf.tidy: the executor frees its intermediates itself, and a tidy around
  // it made runs that return a head map (tower_0/keypoints) ~1 s slower on tfjs-wasm.
  const runRaw = (input: Float32Array, shape: number[], outputs: string[]) => {
    const x = tf.tensor(input, shape);
    const y = model.execute({ [inputName]: x }, outputs);
    const ys = Array.isArray(y) ? y : [y];
    const out = ys.map((t) => ({ data: new Float32Array(t.dataSync()), shape: t.shape }));
    tf.dispose([x, ...ys]);
    return out;
  };
  return {
    runRaw,
    run: (nhwc, size, outputs) => runRaw(nhwc, [1, size, size, 3], outputs),
    dispose: () => model.dispose(),
  };
}
