import { z } from 'zod';

/** One image with its raw reference captions; every loader produces this shape. */
export const ImageCaptionsSchema = z.object({
  image: z.string(),
  captions: z.array(z.string()),
});
export type ImageCaptions = z.infer<typeof ImageCaptionsSchema>;

export interface Split {
  name: string;
  items: ImageCaptions[];
}
