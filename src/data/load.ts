// One entry point for every caption format, with auto-detection and readable errors.
import { existsSync, readFileSync } from 'node:fs';
import type { z } from 'zod';
import { CocoCaptionsSchema, groupCocoCaptions } from './coco.ts';
import type { ImageCaptions } from './dataset.ts';
import { loadFlickrSplit, readFlickrTokenFile } from './flickr8k.ts';
import { KARPATHY_SPLITS, KarpathySchema, karpathySplits, type KarpathySplit } from './karpathy.ts';

export type DatasetFormat = 'flickr8k' | 'karpathy' | 'coco';

export interface LoadOptions {
  format: DatasetFormat | 'auto';
  /** Flickr8k token file, Karpathy dataset_*.json or COCO captions_*.json. */
  captions: string;
  /**
   * flickr8k: a file of image names (e.g. train.txt); omitted = every image in the token file.
   * karpathy: 'train' (includes restval) | 'val' | 'test'; omitted = all splits.
   * coco: not supported (a COCO captions file is already one split).
   */
  split?: string;
}

/** Reads a dataset as ImageCaptions[]; throws on a missing file, a wrong shape, or an image without captions. */
export function loadDataset(opts: LoadOptions): ImageCaptions[] {
  const text = readText(opts.captions, 'captions');
  const format = opts.format === 'auto' ? detectFormat(text, opts.captions) : opts.format;
  const items = loadAs(format, text, opts);
  for (const item of items) {
    if (item.captions.length === 0) throw new Error(`${opts.captions}: image ${item.image} has zero captions`);
  }
  return items;
}

/** Flickr8k when the first non-empty line is `NAME#N<TAB>...`; karpathy/coco by the JSON shape. */
export function detectFormat(text: string, source = '<text>'): DatasetFormat {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) {
    const json = parseJson(text, source) as Record<string, unknown>;
    if ('annotations' in json) return 'coco';
    if ('images' in json) return 'karpathy';
    throw new Error(`${source}: JSON is neither Karpathy ({images:[{sentences}]}) nor COCO ({images, annotations})`);
  }
  const first = trimmed.split(/\r?\n/, 1)[0] ?? '';
  if (/^[^\t]+#\d+\t/.test(first)) return 'flickr8k';
  throw new Error(`${source}: cannot detect format (expected NAME.jpg#N<TAB>caption lines or Karpathy/COCO JSON)`);
}

function loadAs(format: DatasetFormat, text: string, opts: LoadOptions): ImageCaptions[] {
  const src = opts.captions;
  switch (format) {
    case 'flickr8k': {
      if (opts.split === undefined) return [...readFlickrTokenFile(src)].map(([image, captions]) => ({ image, captions }));
      readText(opts.split, 'split'); // clear not-found error
      return loadFlickrSplit(src, opts.split);
    }
    case 'karpathy': {
      const splits = karpathySplits(validate(KarpathySchema, parseJson(text, src), src));
      if (opts.split === undefined) return [...splits.train, ...splits.val, ...splits.test];
      if (!(KARPATHY_SPLITS as readonly string[]).includes(opts.split)) {
        throw new Error(`${src}: unknown Karpathy split '${opts.split}' (use ${KARPATHY_SPLITS.join(', ')}; restval is part of train)`);
      }
      return splits[opts.split as KarpathySplit];
    }
    case 'coco': {
      if (opts.split !== undefined) throw new Error(`${src}: COCO captions files are one split each; do not pass split`);
      const data = validate(CocoCaptionsSchema, parseJson(text, src), src);
      try {
        return groupCocoCaptions(data);
      } catch (e) {
        throw new Error(`${src}: ${(e as Error).message}`);
      }
    }
    default:
      throw new Error(`unknown dataset format '${format as string}' (flickr8k, karpathy, coco or auto)`);
  }
}

function readText(path: string, what: string): string {
  if (!existsSync(path)) throw new Error(`${what} file not found: ${path}`);
  return readFileSync(path, 'utf8');
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: invalid JSON: ${(e as Error).message}`);
  }
}

/** Zod validation whose error names the offending path, e.g. `images[3].sentences[0].raw`. */
function validate<T>(schema: z.ZodType<T>, json: unknown, source: string): T {
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  const issues = result.error.issues.slice(0, 3).map((i) => `${formatPath(i.path)}: ${i.message}`);
  throw new Error(`${source}: wrong shape: ${issues.join('; ')}`);
}

function formatPath(path: PropertyKey[]): string {
  const s = path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
  return s || '(root)';
}
