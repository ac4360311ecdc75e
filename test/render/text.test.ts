import t from 'tap';
import sharp from 'sharp';
import { escapeXml, fitParagraph, renderLabel, wrapText, type TextRun } from '../../src/render/text.ts';
import { wordRuns } from '../../src/render/sheet.ts';

t.test('escapes XML special characters', async (t) => {
  t.equal(escapeXml(`<a href="x">&'</a>`), '&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;');
  t.equal(escapeXml('bell\u0007'), 'bell');
});

t.test('wraps by words and shrinks long paragraphs', async (t) => {
  t.same(wrapText('a man riding a wave on top of a surfboard', 100, 10), ['a man riding a', 'wave on top of a', 'surfboard']);
  const p = fitParagraph(Array(30).fill('word').join(' '), 200, 40, 16);
  t.ok(p.fontSize < 16 && p.fontSize >= 8);
  t.ok(p.height <= 40 || p.fontSize === 8);
});

t.test('labels fit their box, including nasty characters and long words', async (t) => {
  for (const text of [`<dog> & "cat's"`, 'x'.repeat(80), ']]>', 'a']) {
    const label = await renderLabel([[{ text }]], 16, 120, 24, '#ffffff');
    t.ok(label, text);
    const meta = await sharp(label!.input).metadata();
    t.ok(meta.width! <= 120 && meta.height! <= 24, `${text}: ${meta.width}×${meta.height}`);
    t.equal(meta.width, label!.width);
  }
  t.equal(await renderLabel([[{ text: '   ' }]], 16, 120, 24, '#ffffff'), null, 'blank text draws nothing');
});

/** A label's ink: its size and its glyphs, counted as runs of columns that hold ink. */
async function ink(runs: TextRun[], fontSize: number) {
  const label = (await renderLabel([runs], fontSize, 400, 100, '#ffffff'))!;
  const { data, info } = await sharp(label.input).greyscale().raw().toBuffer({ resolveWithObject: true });
  const inked = (x: number) => Array.from({ length: info.height }, (_, y) => data[y * info.width + x]).some((v) => v < 255 - 64);
  let glyphs = 0;
  for (let x = 0; x < info.width; x++) if (inked(x) && (x === 0 || !inked(x - 1))) glyphs++;
  return { width: label.width, height: label.height, glyphs };
}

t.test('labels keep thin glyphs at their edges: "is" is not drawn as "s"', async (t) => {
  // The sheets' label sizes (9 px at the smallest panels). The ink was once found after a median
  // filter that erased one-pixel strokes, so an "i" at the label's edge lost its dot or all of it.
  for (let size = 9; size <= 20; size++) {
    const is = await ink([{ text: 'is' }], size), s = await ink([{ text: 's' }], size);
    t.equal(is.glyphs, 2, `${size} px: "is" has two glyphs`);
    t.equal((await ink([{ text: 'skis' }], size)).glyphs, 4, `${size} px: "skis" has four`);
    t.ok(is.height >= s.height + 2, `${size} px: the i's dot rises above the s (${is.height} vs ${s.height} rows)`);
    t.ok((await ink([{ text: 'i' }], size)).width <= 3, `${size} px: a lone "i" is trimmed to its stem`);
    const panel = (word: string) => ink(wordRuns({ word, attention: [[1]], logprob: -0.4 }), size);
    const [pis, ps] = [await panel('is'), await panel('s')];
    t.ok(pis.width >= ps.width + 2, `${size} px: the sheet's "is  p = …" label is wider than "s  p = …" (${pis.width} vs ${ps.width})`);
  }
});
