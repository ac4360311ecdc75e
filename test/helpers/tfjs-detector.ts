// The original TF.js graph model run by tfjs-converter: the reference the ONNX translation is
// checked against (test/detector/translate.test.ts) and timed beside (bench/detector.ts).
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as tfc from '@tensorflow/tfjs-converter';
import * as tf from '../../src/runtime/tf.ts';

export interface TfjsDetector {
  /** NHWC float 0–255 image [1, S, S, 3] → the named outputs, as flat arrays with their shapes. */
  run(nhwc: Float32Array, size: number, outputs: string[]): { data: Float32Array; shape: number[] }[];
  dispose(): void;
}

/** Loads model.json + its .bin shards through an in-memory IO handler (no fetch, no tfjs-node). */
export async function loadTfjsDetector(jsonPath: string): Promise<TfjsDetector> {
  const json = JSON.parse(await readFile(jsonPath, 'utf8'));
  const shards = await Promise.all(json.weightsManifest.flatMap((g: { paths: string[] }) => g.paths.map((p) => readFile(join(dirname(jsonPath), p)))));
  const bin = Buffer.concat(shards);
  const handler: tf.io.IOHandler = {
    load: async () => ({
      modelTopology: json.modelTopology,
      format: json.format,
      generatedBy: json.generatedBy,
      convertedBy: json.convertedBy,
      signature: json.signature,
      weightSpecs: json.weightsManifest.flatMap((g: { weights: tf.io.WeightsManifestEntry[] }) => g.weights),
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
    }),
  };
  const model = await tfc.loadGraphModel(handler);
  const inputName = model.inputs[0].name;
  return {
    run(nhwc, size, outputs) {
      return tf.tidy(() => {
        const x = tf.tensor4d(nhwc, [1, size, size, 3]);
        const ys = model.execute({ [inputName]: x }, outputs) as tf.Tensor[];
        return ys.map((y) => ({ data: Float32Array.from(y.dataSync()), shape: y.shape }));
      });
    },
    dispose: () => model.dispose(),
  };
}
