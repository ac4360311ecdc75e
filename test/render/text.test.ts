import t from 'tap';
import sharp from 'sharp';
import { escapeXml, fitParagraph, renderLabel, wrapText } from '../../src/render/text.ts';

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
