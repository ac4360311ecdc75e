// Contact sheet in the style of Show, Attend and Tell Figs 2/3: the photo with its caption,
// then one panel per generated word showing where the model looked.
import sharp, { type OverlayOptions as SharpComposite } from 'sharp';
import { assertRgbImage, fitInside, resizeRgb } from './image.ts';
import { panelOrigin, sheetLayout } from './layout.ts';
import { overlayRgb } from './overlay.ts';
import { fitParagraph, renderLabel, type LabelImage, type TextRun } from './text.ts';
import type { AttentionMode, OutputFormat, OverlayStyle, RgbImage, WordAttention } from './types.ts';

export interface SheetOptions {
  mode?: AttentionMode;
  /** Side of each square panel in px (default 224, clamped to 16..1024). */
  panelSize?: number;
  /** Panels per row; default ceil(sqrt(words + 1)). */
  columns?: number;
  /** Default 'png'. */
  format?: OutputFormat;
  title?: string;
  style?: OverlayStyle;
  alpha?: number;
  blurCells?: number;
}

const SHEET_BG = '#ffffff';
const PANEL_BG = { r: 236, g: 236, b: 236 }; // letterbox around non-square photos

/**
 * Render the sheet; its size is exactly sheetLayout(words.length + 1, panelSize, …)
 * (see layout.ts for the formula). Photos are letterboxed into each square panel.
 */
export async function renderSheet(image: RgbImage, words: WordAttention[], opts: SheetOptions = {}): Promise<Buffer> {
  assertRgbImage(image);
  const title = opts.title?.trim() ?? '';
  const layout = sheetLayout(words.length + 1, opts.panelSize ?? 224, { columns: opts.columns, title: title.length > 0 });
  const { panelSize: P, labelHeight: L } = layout;
  const fontSize = Math.max(9, Math.round(L * 0.55));
  const layers: SharpComposite[] = [];
  const place = (label: LabelImage | null, x: number, y: number, w: number, h: number) => {
    if (label) layers.push({ input: label.input, left: x + ((w - label.width) >> 1), top: y + ((h - label.height) >> 1) });
  };
  const placeRgb = (img: RgbImage, x: number, y: number, w: number, h: number) => layers.push({
    input: img.rgb as Buffer, raw: { width: img.width, height: img.height, channels: 3 },
    left: x + ((w - img.width) >> 1), top: y + ((h - img.height) >> 1),
  });
  const panelBg = (x: number, y: number, w: number, h: number) =>
    layers.push({ input: { create: { width: w, height: h, channels: 3, background: PANEL_BG } }, left: x, top: y });

  // Title band across the top.
  if (title) {
    place(await renderLabel([[{ text: title }]], Math.round(fontSize * 1.15), layout.width - 2 * layout.gap, L - 2, SHEET_BG),
      0, 0, layout.width, L + layout.gap);
  }

  // Panel 0: the photo with the whole caption. It owns the full P×(P+L) cell, and the caption
  // (wrapped, shrunk if long) takes up to 45% of it, so even 30-word captions stay legible.
  const caption = words.map((w) => w.word).join(' ');
  const cellH = P + L;
  const para = fitParagraph(caption, P - 8, Math.floor(cellH * 0.45), fontSize);
  const captionH = Math.min(Math.floor(cellH * 0.45), Math.max(L, para.height + 6));
  const o0 = panelOrigin(layout, 0);
  const photoBox = { w: P, h: cellH - captionH };
  const photo = fitInside(image.width, image.height, photoBox.w, photoBox.h);
  panelBg(o0.x, o0.y, photoBox.w, photoBox.h);
  placeRgb(await resizeRgb(image, photo.width, photo.height), o0.x, o0.y, photoBox.w, photoBox.h);
  place(await renderLabel(para.lines.map((text) => [{ text }]), para.fontSize, P - 4, captionH - 2, SHEET_BG),
    o0.x, o0.y + photoBox.h, P, captionH);

  // Panels 1..n: one per word; the photo is resized once and every map drawn at that size.
  const fitted = fitInside(image.width, image.height, P, P);
  const small = await resizeRgb(image, fitted.width, fitted.height);
  const panels = await Promise.all(words.map(async (w) => ({
    overlay: await overlayRgb(small, w.attention, {
      mode: opts.mode, region: w.region, style: opts.style, alpha: opts.alpha, blurCells: opts.blurCells, box: w.box,
    }),
    label: await renderLabel([wordRuns(w)], fontSize, P - 4, L - 2, SHEET_BG),
  })));
  panels.forEach(({ overlay, label }, i) => {
    const o = panelOrigin(layout, i + 1);
    panelBg(o.x, o.y, P, P);
    placeRgb(overlay, o.x, o.y, P, P);
    place(label, o.x, o.y + P, P, L);
  });

  const sheet = sharp({ create: { width: layout.width, height: layout.height, channels: 3, background: SHEET_BG } })
    .composite(layers);
  return opts.format === 'jpeg' ? sheet.jpeg({ quality: 90 }).toBuffer() : sheet.png().toBuffer();
}

/** The word, plus "p = …" (its probability) when a finite logprob is given and "focus" when its focus map is drawn, in smaller grey text. */
export function wordRuns(w: WordAttention): TextRun[] {
  const runs: TextRun[] = [{ text: w.word }];
  if (typeof w.logprob === 'number' && Number.isFinite(w.logprob)) {
    runs.push({ text: `  p = ${Math.exp(Math.min(0, w.logprob)).toFixed(2)}`, color: '#666', scale: 0.75 });
  }
  if (w.focus) runs.push({ text: '  focus', color: '#666', scale: 0.75 });
  return runs;
}
