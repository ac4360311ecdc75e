// The overlay use case: caption one prepared image and draw its attention (one word's overlay,
// or the contact sheet of every word) with each grounded word's detection box. The Captioner
// runs it on whichever thread holds it (an engine's executor), so the HTTP route does not care
// where it runs.
import type { PreparedImage } from '../encoder/preprocess.ts';
import { boxFractions } from '../render/box-style.ts';
import { renderOverlay, renderSheet } from '../render/index.ts';
import type { DrawOptions, WordAttention, WordBox } from '../render/types.ts';
import type { Captioner } from './captioner.ts';
import { WordOutOfRangeError } from '../service/errors.ts';
import type { OverlayOutput } from '../service/engine.ts';
import type { CaptionResult, DecodingPlan, Grounding } from '../service/schemas.ts';

export async function captionOverlay(captioner: Pick<Captioner, 'caption'>, prepared: PreparedImage, o: DecodingPlan, draw: DrawOptions): Promise<OverlayOutput> {
  const opts = { ...o, includeMaps: true }; // the maps are the point here
  const [{ result }] = await captioner.caption([prepared], opts);
  const rgb = prepared.pixels;
  if (!rgb) throw new Error('overlay: the image was prepared without its pixels (prepare it with { pixels: true })');
  const tokens = overlayWords(result, draw.map);
  const out = { caption: result.caption, words: tokens.length };
  if (draw.word === undefined) {
    return { ...out, image: await renderSheet(rgb, tokens, { mode: opts.attention, panelSize: draw.panelSize, columns: draw.columns, format: draw.format, style: draw.style }) };
  }
  const index = typeof draw.word === 'number' ? draw.word : tokens.findIndex((x) => x.word === String(draw.word).trim().toLowerCase());
  const t = tokens[index];
  if (!t && typeof draw.word === 'string') throw new WordOutOfRangeError(`word: "${draw.word}" is not in the caption "${result.caption}"`);
  if (!t) throw new WordOutOfRangeError(`word: index ${draw.word} is out of range, the caption "${result.caption}" has ${tokens.length} word(s) (indices 0–${tokens.length - 1})`);
  return { ...out, image: await renderOverlay(rgb, t.attention, { mode: opts.attention, region: t.region, format: draw.format, style: draw.style, box: t.box }) };
}

/** The result's words as the renderer draws them: map (an object word's focus map, with map 'focus'), sampled region, probability, and a grounded word's box. */
export function overlayWords(result: Pick<CaptionResult, 'tokens' | 'image'>, map?: DrawOptions['map']): WordAttention[] {
  return result.tokens.map((t) => {
    const focus = map !== 'attention' && t.focus !== undefined; // focus unless asked for α
    return { word: t.word, attention: (focus ? t.focus : t.attention) ?? [], focus, region: t.region?.index, logprob: t.logprob, box: groundedBox(t.grounding, result.image) };
  });
}

/** A grounded word's box as fractions of the image (what the renderer draws at any size), labelled "category score". */
function groundedBox(g: Grounding | undefined, image: { width: number; height: number }): WordBox | undefined {
  if (!g || !('box' in g)) return undefined;
  return { ...boxFractions(g.box, image.width, image.height), label: `${g.category} ${g.score.toFixed(2)}` };
}
