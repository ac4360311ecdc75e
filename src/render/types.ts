// Shared types for the attention renderer.
import { z } from 'zod';
import type { Attention } from '../model/config.ts';

/** 8-bit interleaved RGB pixels, row-major, already EXIF-oriented. */
export interface RgbImage {
  rgb: Buffer | Uint8Array;
  width: number;
  height: number;
}

/** Attention weights on the encoder's grid: attention[y][x], h rows × w columns. */
export type AttentionGrid = number[][];

/** 'soft': the full attention distribution; 'hard': one sampled region. */
export type AttentionMode = Attention;

/**
 * How a map is drawn over the image:
 * - 'heatmap' (the default): the viridis-coloured map alpha-blended over the photo; shows at
 *   a glance where the model looked, even on the diffuse maps soft attention gives.
 * - 'spotlight' (paper style, Figs 2/3): pixels keep their colour where attention is high
 *   and are darkened where it is low; on diffuse maps the whole photo dims almost evenly.
 */
export const OverlayStyleSchema = z.enum(['spotlight', 'heatmap']);
export type OverlayStyle = z.infer<typeof OverlayStyleSchema>;

export const OutputFormatSchema = z.enum(['png', 'jpeg']);
export type OutputFormat = z.infer<typeof OutputFormatSchema>;

/** How POST /v1/overlays draws: the options it takes besides the captioning ones. */
export const DrawOptionsSchema = z.object({
  format: OutputFormatSchema.default('png').describe('output image format'),
  word: z.union([z.string().regex(/^\d+$/).transform(Number), z.number().int().min(0), z.string().min(1).max(64)]).optional().describe('a 0-based word index, or a word of the caption (its first occurrence): that word\'s overlay at the image\'s resolution (longest side capped at 1024 px) instead of the contact sheet'),
  panelSize: z.coerce.number().int().min(16).max(1024).default(224).describe('contact sheet panel side in px'),
  columns: z.coerce.number().int().min(1).max(64).optional().describe('contact sheet panels per row'),
  map: z.enum(['focus', 'attention']).optional().describe('object words: draw the focus map (focus, the default: where the word\'s evidence is, the token\'s `focus`) or the attention α_t; the other words always show α_t'),
  style: OverlayStyleSchema.default('heatmap').describe('heatmap (default) blends a colour map, readable even where attention is diffuse; spotlight darkens unattended pixels (paper style). Either way a grounded word\'s detection box is outlined and labelled'),
});
export type DrawOptions = z.output<typeof DrawOptionsSchema>;

/** A detection box to outline over a word's overlay: corners as fractions (0–1) of the image, and its label. */
export interface WordBox {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  /** e.g. "dog 0.87"; empty: outline only. */
  label: string;
}

export interface WordAttention {
  word: string;
  attention: AttentionGrid;
  /** Hard attention: index y*w+x of the sampled region. */
  region?: number;
  /** Natural-log probability of the word, shown as p=… when present. */
  logprob?: number;
  /** The box of the detection the word is grounded in (drawn over its panel). */
  box?: WordBox;
  /** The map drawn is the word's focus map, not α_t (labelled "focus" on the sheet). */
  focus?: boolean;
}
