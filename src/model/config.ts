import { z } from 'zod';

/** The paper's two attention mechanisms: soft (deterministic, backprop) and hard (stochastic, REINFORCE). */
export const AttentionSchema = z.enum(['soft', 'hard']);
export type Attention = z.infer<typeof AttentionSchema>;

/** Everything needed to rebuild a decoder; saved as config.json next to the weights. */
export const DecoderConfigSchema = z.object({
  format: z.literal('show-attend-tell/decoder@1'),
  attention: AttentionSchema,
  vocabSize: z.number().int().positive(),
  embedDim: z.number().int().positive(), // m in the paper
  hiddenDim: z.number().int().positive(), // n
  attentionDim: z.number().int().positive(),
  featureDim: z.number().int().positive(), // D
  grid: z.object({ h: z.number().int().positive(), w: z.number().int().positive() }), // L = h*w
  dropout: z.number().min(0).max(1),
  maxLength: z.number().int().positive(),
  encoder: z.object({ id: z.string(), sha256: z.string(), inputSize: z.number().int().positive() }),
  trained: z.boolean(),
  /** words added by vocabulary expansion (src/decoding/expand-vocab.ts): said only when the photo supports their COCO category */
  supportedOnly: z.array(z.string()).optional(),
});
export type DecoderConfig = z.infer<typeof DecoderConfigSchema>;

export function defaultConfig(over: Partial<DecoderConfig> & Pick<DecoderConfig, 'vocabSize' | 'encoder'>): DecoderConfig {
  return DecoderConfigSchema.parse({
    format: 'show-attend-tell/decoder@1',
    attention: 'soft',
    embedDim: 512,
    hiddenDim: 512,
    attentionDim: 512,
    featureDim: 1280,
    grid: { h: 7, w: 7 },
    dropout: 0.5,
    maxLength: 20,
    trained: false,
    ...over,
  });
}
