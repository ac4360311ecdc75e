// Text labels rendered as SVG by sharp/librsvg, measured and shrunk to fit their box.
import sharp from 'sharp';

export const FONT_FAMILY = 'DejaVu Sans, Verdana, sans-serif';
/** DejaVu Sans averages ~0.5 em per character; used only to choose line breaks. */
const AVG_CHAR_EM = 0.55;
const LINE_EM = 1.25;

/** Escape text for use inside SVG/XML (captions can contain <>&"'). */
export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!)
    // Control characters are not allowed in XML 1.0 and would make librsvg reject the SVG.
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}

/** Greedy word wrap by estimated width; an over-long single word stays on its own line. */
export function wrapText(text: string, maxWidthPx: number, fontSize: number): string[] {
  const maxChars = Math.max(1, Math.floor(maxWidthPx / (fontSize * AVG_CHAR_EM)));
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > maxChars) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** Caption wrapping: the largest font (≤ fontSize, ≥ 8 px) whose wrapped lines fit maxHeight. */
export function fitParagraph(text: string, maxWidth: number, maxHeight: number, fontSize: number) {
  let size = fontSize;
  let lines = wrapText(text, maxWidth, size);
  while (size > 8 && lines.length * size * LINE_EM > maxHeight) {
    size -= 1;
    lines = wrapText(text, maxWidth, size);
  }
  return { lines, fontSize: size, height: Math.ceil(lines.length * size * LINE_EM) };
}

export interface TextRun {
  text: string;
  color?: string;
  /** Relative to the label's font size. */
  scale?: number;
}

export interface LabelImage {
  input: Buffer;
  width: number;
  height: number;
}

/**
 * Render lines of text (each line a list of runs) centred, on `background`, cropped to the ink
 * and scaled down if needed so it fits maxWidth×maxHeight. Glyph widths are only known after
 * rendering, so we render generously, trim to the ink, and shrink — never overflowing the box.
 * Returns null when there is nothing visible to draw.
 */
export async function renderLabel(
  lines: TextRun[][], fontSize: number, maxWidth: number, maxHeight: number, background: string,
): Promise<LabelImage | null> {
  const chars = Math.max(1, ...lines.map((runs) => runs.reduce((n, r) => n + r.text.length, 0)));
  if (lines.every((runs) => runs.every((r) => !r.text.trim())) || maxWidth < 1 || maxHeight < 1) return null;
  const pad = Math.ceil(fontSize);
  const svgW = Math.ceil(chars * fontSize * 1.1) + 2 * pad; // wider than any glyph run
  const svgH = Math.ceil(lines.length * fontSize * LINE_EM) + 2 * pad;
  const tspans = lines.map((runs, i) => {
    const body = runs.map((r) => {
      const size = r.scale ? ` font-size="${(fontSize * r.scale).toFixed(1)}"` : '';
      return `<tspan fill="${r.color ?? '#111'}"${size}>${escapeXml(r.text)}</tspan>`;
    }).join('');
    return `<tspan x="${svgW / 2}" y="${pad + fontSize * (0.95 + i * LINE_EM)}">${body}</tspan>`;
  }).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${svgW}" height="${svgH}">`
    + `<rect width="100%" height="100%" fill="${background}"/>`
    + `<text font-family="${FONT_FAMILY}" font-size="${fontSize}" text-anchor="middle" xml:space="preserve">${tspans}</text></svg>`;
  try {
    // lineArt: without it libvips median-filters (3×3) before finding the ink, which erases strokes
    // a pixel or two wide, so a thin "i" (or its dot) at the label's edge was cut off: "is" → "s".
    const trimmed = await sharp(Buffer.from(svg)).flatten({ background }).trim({ background, threshold: 8, lineArt: true })
      .png().toBuffer({ resolveWithObject: true });
    let { width, height } = trimmed.info;
    let input = trimmed.data;
    if (width > maxWidth || height > maxHeight) {
      const scale = Math.min(maxWidth / width, maxHeight / height);
      width = Math.max(1, Math.floor(width * scale));
      height = Math.max(1, Math.floor(height * scale));
      input = await sharp(input).resize(width, height, { fit: 'fill' }).png().toBuffer();
    }
    return { input, width, height };
  } catch {
    return null; // nothing but background (e.g. glyphs the font lacks): leave the label empty
  }
}
