// COCO object annotations (instances_*.json) for the pointing game: per image file, its original
// size and the boxes of each category present.
import { z } from 'zod';
import { readJsonFile } from '../../util/json-file.ts';
import type { Box } from './pointing.ts';

export const CocoInstancesSchema = z.object({
  images: z.array(z.object({ id: z.number().int(), file_name: z.string().min(1), width: z.number().positive(), height: z.number().positive() })),
  annotations: z.array(z.object({ image_id: z.number().int(), category_id: z.number().int(), bbox: z.tuple([z.number(), z.number(), z.number(), z.number()]) })),
  categories: z.array(z.object({ id: z.number().int(), name: z.string() })),
});

export interface ImageObjects {
  width: number;
  height: number;
  boxes: Map<string, Box[]>; // category name → boxes
}

export function loadInstances(path: string): Map<string, ImageObjects> {
  const { images, annotations, categories } = readJsonFile(path, CocoInstancesSchema, 'a COCO instances file');
  const catName = new Map(categories.map((c) => [c.id, c.name]));
  const byId = new Map<number, ImageObjects>();
  const out = new Map<string, ImageObjects>();
  for (const im of images) {
    const obj = { width: im.width, height: im.height, boxes: new Map<string, Box[]>() };
    byId.set(im.id, obj);
    out.set(im.file_name, obj);
  }
  annotations.forEach((a, i) => {
    const img = byId.get(a.image_id);
    const name = catName.get(a.category_id);
    if (!img) throw new Error(`${path}: annotations[${i}] refers to image ${a.image_id}, which is not in images`);
    if (!name) throw new Error(`${path}: annotations[${i}] refers to category ${a.category_id}, which is not in categories`);
    const list = img.boxes.get(name) ?? [];
    list.push(a.bbox);
    img.boxes.set(name, list);
  });
  return out;
}
