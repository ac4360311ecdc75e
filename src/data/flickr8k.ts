import { readFileSync } from 'node:fs';
import type { ImageCaptions } from './dataset.ts';

/** Reads Flickr8k's token file: lines `NAME.jpg#N<TAB>caption`. */
export function readFlickrTokenFile(path: string): Map<string, string[]> {
  const byImage = new Map<string, string[]>();
  for (const line of readFileSync(path, 'utf8').split(/\r?\n/)) {
    if (!line.trim()) continue;
    const tab = line.indexOf('\t');
    if (tab < 0) throw new Error(`${path}: expected NAME#N<TAB>caption, got: ${line.slice(0, 80)}`);
    const image = line.slice(0, tab).replace(/#\d+$/, '');
    const list = byImage.get(image) ?? [];
    list.push(line.slice(tab + 1).trim());
    byImage.set(image, list);
  }
  return byImage;
}

export function readNameList(path: string): string[] {
  return readFileSync(path, 'utf8').split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
}

/** Items of a split (a file of image names) with their captions; names without captions are an error. */
export function loadFlickrSplit(captionsFile: string, splitFile: string): ImageCaptions[] {
  const captions = readFlickrTokenFile(captionsFile);
  return readNameList(splitFile).map((image) => {
    const c = captions.get(image);
    if (!c) throw new Error(`${splitFile}: no captions for ${image} in ${captionsFile}`);
    return { image, captions: c };
  });
}
