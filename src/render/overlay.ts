// One attention map drawn over one image.
import { DEFAULT_ALPHA, heatmap, outline, spotlight } from './blend.ts';
import { drawBox } from './box.ts';
import { VIRIDIS } from './colormap.ts';
import { resolveRegion, toGrid } from './grid.ts';
import { assertRgbImage, encodeRgb, resizeRgb, resolveSize } from './image.ts';
import { cellBox, hardMap, upsampleSoft } from './upsample.ts';
import type { AttentionGrid, AttentionMode, OutputFormat, OverlayStyle, RgbImage, WordBox } from './types.ts';

export interface OverlayOptions {
  /** 'soft' (default): smooth map. 'hard': the sampled region as a crisp framed box. */
  mode?: AttentionMode;
  /** Hard mode: sampled cell y*w+x; if missing/out of range, the argmax (none for a flat map). */
  region?: number;
  /** Output size; defaults to the image's. Give one side to keep the aspect ratio. */
  width?: number;
  height?: number;
  /** Blend strength in [0,1]; default DEFAULT_ALPHA (0.6 spotlight, 0.5 heatmap). */
  alpha?: number;
  /** Default 'heatmap'. See OverlayStyle. */
  style?: OverlayStyle;
  /** A grounded word's detection box, outlined and labelled over the map. */
  box?: WordBox;
  /** Soft mode Gaussian blur sigma in grid cells (default 0.5, 0 = none). */
  blurCells?: number;
  /** Default 'png'. */
  format?: OutputFormat;
}

/** Frame colour for the hard-attention box: the top of the viridis scale (yellow). */
const FRAME: readonly [number, number, number] = [VIRIDIS[765], VIRIDIS[766], VIRIDIS[767]];

/**
 * The image, resized to the requested size, with the attention map blended in, as raw RGB.
 * The attention grid is assumed to cover the whole image (the encoder saw all of it).
 */
export async function overlayRgb(image: RgbImage, attention: AttentionGrid, opts: OverlayOptions = {}): Promise<RgbImage> {
  assertRgbImage(image);
  const { width, height } = resolveSize(image, opts.width, opts.height);
  const base = await resizeRgb(image, width, height);
  const grid = toGrid(attention);
  const style = opts.style ?? 'heatmap';
  const alpha = clamp01(opts.alpha ?? DEFAULT_ALPHA[style]);

  const hard = opts.mode === 'hard';
  const region = hard ? resolveRegion(grid, opts.region) : undefined;
  const map = !hard
    ? upsampleSoft(grid, width, height, { blurCells: opts.blurCells })
    : region === undefined
      ? new Float32Array(width * height).fill(1) // no region and a flat map: nothing to single out
      : hardMap(grid.w, grid.h, region, width, height);

  const rgb = (style === 'heatmap' ? heatmap : spotlight)(base.rgb, map, alpha, Buffer.allocUnsafe(map.length * 3));
  if (region !== undefined) {
    // A thin frame keeps tiny regions findable on large photos; ~1/150 of the short side.
    const thickness = Math.max(1, Math.round(Math.min(width, height) / 150));
    outline(rgb, width, height, cellBox(grid.w, grid.h, region, width, height), FRAME, thickness);
  }
  return opts.box ? drawBox({ rgb, width, height }, opts.box) : { rgb, width, height };
}

/** renderOverlay: overlayRgb encoded as PNG (default) or JPEG. */
export async function renderOverlay(image: RgbImage, attention: AttentionGrid, opts: OverlayOptions = {}): Promise<Buffer> {
  return encodeRgb(await overlayRgb(image, attention, opts), opts.format ?? 'png');
}

function clamp01(v: number): number {
  return Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0;
}
