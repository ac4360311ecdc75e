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
 * - 'spotlight' (paper style, Figs 2/3): pixels keep their colour where attention is high
 *   and are darkened where it is low, so the photo stays readable.
 * - 'heatmap': the viridis-coloured map alpha-blended over the photo.
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
  style: OverlayStyleSchema.default('spotlight').describe('spotlight darkens unattended pixels (paper style); heatmap blends a colour map'),
});
export type DrawOptions = z.output<typeof DrawOptionsSchema>;

export interface WordAttention {
  word: string;
  attention: AttentionGrid;
  /** Hard attention: index y*w+x of the sampled region. */
  region?: number;
  /** Natural-log probability of the word, shown as p=… when present. */
  logprob?: number;
}
