// Karpathy's split files (dataset_flickr8k.json, dataset_flickr30k.json, dataset_coco.json from neuraltalk):
//   {images: [{filename, filepath?, split: 'train'|'val'|'test'|'restval', sentences: [{raw, tokens}]}]}
// We keep the raw sentence (our own tokenize() normalises it) and ignore the precomputed tokens.
// 'restval' (the COCO val2014 images outside Karpathy's 5k val / 5k test) counts as train,
// as in the Show, Attend and Tell and neuraltalk2 training setups.
import { posix } from 'node:path';
import { z } from 'zod';
import type { ImageCaptions } from './dataset.ts';

export const KARPATHY_SPLITS = ['train', 'val', 'test'] as const;
export type KarpathySplit = (typeof KARPATHY_SPLITS)[number];

export const KarpathySchema = z.object({
  images: z.array(
    z.object({
      filename: z.string().min(1),
      filepath: z.string().optional(),
      split: z.enum(['train', 'val', 'test', 'restval']),
      sentences: z.array(z.object({ raw: z.string(), tokens: z.array(z.string()).optional() })),
    }),
  ),
});
export type KarpathyDataset = z.infer<typeof KarpathySchema>;

/** Items per split, in file order; image = filepath/filename when filepath is set; restval goes to train. */
export function karpathySplits(data: KarpathyDataset): Record<KarpathySplit, ImageCaptions[]> {
  const out: Record<KarpathySplit, ImageCaptions[]> = { train: [], val: [], test: [] };
  for (const img of data.images) {
    const image = img.filepath ? posix.join(img.filepath, img.filename) : img.filename;
    out[img.split === 'restval' ? 'train' : img.split].push({ image, captions: img.sentences.map((s) => s.raw.trim()) });
  }
  return out;
}
