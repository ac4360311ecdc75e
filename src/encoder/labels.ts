// ImageNet-1k class names (index = logit position); see models/README-encoder.md for the source.
import { existsSync, readFileSync } from 'node:fs';

export const LABELS_PATH = new URL('../../models/imagenet-labels.json', import.meta.url);

/** Falls back to "class N" names so a missing label file never breaks captioning. */
export function loadLabels(count: number, path: URL | string = LABELS_PATH): string[] {
  if (existsSync(path)) {
    const labels = JSON.parse(readFileSync(path, 'utf8')) as string[];
    if (Array.isArray(labels) && labels.length === count) return labels;
  }
  return Array.from({ length: count }, (_, i) => `class ${i}`);
}
