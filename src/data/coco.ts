// COCO caption annotations (captions_train2014.json, captions_val2014.json):
//   {images: [{id, file_name, ...}], annotations: [{image_id, caption, ...}]}
import { z } from 'zod';
import type { ImageCaptions } from './dataset.ts';

export const CocoCaptionsSchema = z.object({
  images: z.array(z.object({ id: z.number().int(), file_name: z.string().min(1) })),
  annotations: z.array(z.object({ image_id: z.number().int(), caption: z.string() })),
});
export type CocoCaptions = z.infer<typeof CocoCaptionsSchema>;

/** One item per image (in `images` order) with its captions in annotation order (trimmed). */
export function groupCocoCaptions(data: CocoCaptions): ImageCaptions[] {
  const byId = new Map<number, ImageCaptions>();
  for (const img of data.images) {
    if (byId.has(img.id)) throw new Error(`images: duplicate id ${img.id}`);
    byId.set(img.id, { image: img.file_name, captions: [] });
  }
  data.annotations.forEach((a, i) => {
    const item = byId.get(a.image_id);
    if (!item) throw new Error(`annotations[${i}]: image_id ${a.image_id} is not in images`);
    item.captions.push(a.caption.trim());
  });
  return [...byId.values()];
}
