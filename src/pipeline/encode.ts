// The encoder over a whole batch of prepared images, in chunks that keep its memory bounded.
import type { Encoder } from '../encoder/encoder.ts';
import type { PreparedImage } from '../encoder/preprocess.ts';

/**
 * Images per encoder run. MobileNetV2's activations grow with images × pixels and ONNX Runtime's
 * arena keeps its peak, while batching does not make the encoder faster per image on CPU
 * (`npm run bench:encoder`), so a run holds four 224×224 images' worth of pixels: 4 at 224, 1 at
 * 448 (at 448 one image per run peaks 31 MB over the loaded encoder, four 102 MB, and is no slower: 17.3 vs 19.9 ms per image).
 */
export function encodeChunk(inputSize: number): number {
  return Math.max(1, Math.floor((4 * 224 * 224) / (inputSize * inputSize)));
}

/** Annotation vectors [N, L, D] and ImageNet logits [N, 1000] of every image, encoded encodeChunk() at a time. */
export async function encodeAll(encoder: Encoder, prepared: PreparedImage[]): Promise<{ features: Float32Array; logits: Float32Array }> {
  const chunk = encodeChunk(encoder.inputSize);
  if (prepared.length <= chunk) return encoder.encode(prepared.map((p) => p.tensor));
  const chunks = [];
  for (let i = 0; i < prepared.length; i += chunk) chunks.push(await encoder.encode(prepared.slice(i, i + chunk).map((p) => p.tensor)));
  const cat = (xs: Float32Array[]) => {
    const out = new Float32Array(xs.reduce((s, x) => s + x.length, 0));
    let at = 0;
    for (const x of xs) out.set(x, (at += x.length) - x.length);
    return out;
  };
  return { features: cat(chunks.map((c) => c.features)), logits: cat(chunks.map((c) => c.logits)) };
}
