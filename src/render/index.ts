// Public API of the attention renderer.
export { colorize, VIRIDIS } from './colormap.ts';
export { toGrid, type Grid } from './grid.ts';
export { upsampleSoft, hardMap, cellBox, resizeBilinear, gaussianBlur, type SoftOptions } from './upsample.ts';
export { renderOverlay, overlayRgb, type OverlayOptions } from './overlay.ts';
export { drawBox, pixelBox, BOX_COLOR } from './box.ts';
export { renderSheet, type SheetOptions } from './sheet.ts';
export { sheetLayout, type SheetLayout } from './layout.ts';
export { escapeXml } from './text.ts';
export type { RgbImage, AttentionGrid, AttentionMode, OverlayStyle, OutputFormat, WordAttention, WordBox } from './types.ts';
