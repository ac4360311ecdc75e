// Shared types for the attention renderer.

/** 8-bit interleaved RGB pixels, row-major, already EXIF-oriented. */
export interface RgbImage {
  rgb: Buffer | Uint8Array;
  width: number;
  height: number;
}

/** Attention weights on the encoder's grid: attention[y][x], h rows × w columns. */
export type AttentionGrid = number[][];

/** 'soft': the full attention distribution; 'hard': one sampled region. */
export type AttentionMode = 'soft' | 'hard';

/**
 * How a map is drawn over the image:
 * - 'spotlight' (paper style, Figs 2/3): pixels keep their colour where attention is high
 *   and are darkened where it is low, so the photo stays readable.
 * - 'heatmap': the viridis-coloured map alpha-blended over the photo.
 */
export type OverlayStyle = 'spotlight' | 'heatmap';

export type OutputFormat = 'png' | 'jpeg';

export interface WordAttention {
  word: string;
  attention: AttentionGrid;
  /** Hard attention: index y*w+x of the sampled region. */
  region?: number;
  /** Natural-log probability of the word, shown as p=… when present. */
  logprob?: number;
}
