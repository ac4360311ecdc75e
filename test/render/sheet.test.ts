import t from 'tap';
import { mkdir, writeFile } from 'node:fs/promises';
import sharp from 'sharp';
import { BOX_COLOR, pixelBox } from '../../src/render/box.ts';
import { panelOrigin, sheetLayout } from '../../src/render/layout.ts';
import { renderSheet, wordRuns } from '../../src/render/sheet.ts';
import type { RgbImage, WordAttention } from '../../src/render/types.ts';

/** A drawn scene (sky, grass, a "dog" left, a red ball right) so the sheet can be eyeballed. */
async function scene(width = 400, height = 300): Promise<RgbImage> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300" viewBox="0 0 400 300" preserveAspectRatio="none">
    <defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#6fa8dc"/><stop offset="1" stop-color="#cfe2f3"/></linearGradient></defs>
    <rect width="400" height="180" fill="url(#sky)"/><rect y="180" width="400" height="120" fill="#6aa84f"/>
    <circle cx="340" cy="50" r="25" fill="#ffd966"/>
    <ellipse cx="110" cy="200" rx="60" ry="30" fill="#8b5a2b"/><circle cx="170" cy="170" r="22" fill="#8b5a2b"/>
    <circle cx="290" cy="230" r="28" fill="#cc0000"/></svg>`;
  const { data, info } = await sharp(Buffer.from(svg)).resize(width, height, { fit: 'fill' }).removeAlpha().raw()
    .toBuffer({ resolveWithObject: true });
  return { rgb: data, width: info.width, height: info.height };
}

/** 14×14 Gaussian blob of attention centred at (cx, cy) in [0,1] image coordinates. */
function blob(cx: number, cy: number, spread = 0.12): number[][] {
  return Array.from({ length: 14 }, (_, y) => Array.from({ length: 14 }, (_, x) => {
    const dx = (x + 0.5) / 14 - cx;
    const dy = (y + 0.5) / 14 - cy;
    return Math.exp(-(dx * dx + dy * dy) / (2 * spread * spread));
  }));
}

const WORDS: WordAttention[] = [
  { word: 'a', attention: blob(0.5, 0.5, 0.5), logprob: -0.1 },
  { word: '<dog>', attention: blob(0.32, 0.62), logprob: -0.4, region: 8 * 14 + 4 },
  { word: 'chases', attention: blob(0.55, 0.7, 0.2), logprob: -1.2, region: 9 * 14 + 7 },
  { word: 'a', attention: blob(0.7, 0.75, 0.3), logprob: -0.05 },
  { word: 'red', attention: blob(0.72, 0.77, 0.06), logprob: -0.3, region: 10 * 14 + 10 },
  { word: 'ball', attention: blob(0.72, 0.77, 0.08), logprob: -0.2, region: 10 * 14 + 10 },
  { word: '&', attention: [[0, 0], [0, 0]], logprob: -2 },
  { word: `"sun's"`, attention: blob(0.85, 0.17, 0.07), logprob: -0.9, region: 2 * 14 + 12 },
  { word: '.', attention: [[NaN]], logprob: NaN },
];

async function dims(buf: Buffer) {
  const m = await sharp(buf).metadata();
  return { format: m.format, width: m.width, height: m.height };
}

t.test('sheet size follows the documented formula', async (t) => {
  const image = await scene();
  const cases: Array<[WordAttention[], Parameters<typeof renderSheet>[2]]> = [
    [WORDS, { mode: 'soft', format: 'png' }],
    [WORDS, { mode: 'hard', panelSize: 100, columns: 4, format: 'jpeg', title: 'hard attention' }],
    [WORDS.slice(0, 1), { format: 'png' }],
  ];
  for (const [words, opts] of cases) {
    const expected = sheetLayout(words.length + 1, opts?.panelSize ?? 224, { columns: opts?.columns, title: !!opts?.title });
    t.same(await dims(await renderSheet(image, words, opts)),
      { format: opts?.format ?? 'png', width: expected.width, height: expected.height }, JSON.stringify(opts));
  }
});

t.test('robust to 30 words, tiny and extreme-aspect images', async (t) => {
  const thirty = Array.from({ length: 30 }, (_, i) => ({ word: `w${i}<&>`, attention: blob((i % 6) / 6 + 0.08, 0.5) }));
  const l30 = sheetLayout(31, 64);
  t.same(await dims(await renderSheet(await scene(), thirty, { panelSize: 64, format: 'png' })),
    { format: 'png', width: l30.width, height: l30.height });
  for (const [w, h] of [[1, 1], [2000, 20], [20, 2000]]) {
    const image = { rgb: Buffer.alloc(w * h * 3, 128), width: w, height: h };
    const l = sheetLayout(3, 96);
    for (const mode of ['soft', 'hard'] as const) {
      t.same(await dims(await renderSheet(image, WORDS.slice(0, 2), { mode, panelSize: 96, format: 'png' })),
        { format: 'png', width: l.width, height: l.height }, `${w}×${h} ${mode}`);
    }
  }
});

t.test('writes example sheets for eyeballing', async (t) => {
  const image = await scene();
  await mkdir('test-output/render', { recursive: true });
  await writeFile('test-output/render/sheet.png', await renderSheet(image, WORDS, { mode: 'soft', format: 'png', title: 'Soft attention' }));
  await writeFile('test-output/render/sheet-hard.png', await renderSheet(image, WORDS, { mode: 'hard', format: 'png', title: 'Hard attention' }));
  await writeFile('test-output/render/sheet-heatmap.png', await renderSheet(image, WORDS, { style: 'heatmap', format: 'png' }));
  t.pass('written to test-output/render/');
});

t.test('panel labels name the number: "p = 0.61" after the word', async (t) => {
  const runs = wordRuns({ word: 'dog', attention: [[1]], logprob: Math.log(0.61) });
  t.same(runs.map((r) => r.text.trim()), ['dog', 'p = 0.61']);
  t.same(wordRuns({ word: 'dog', attention: [[1]] }).map((r) => r.text), ['dog'], 'no logprob, no number');
});

t.test('a grounded word\'s panel outlines its box; the other panels draw none', async (t) => {
  const image = await scene(); // 400×300: letterboxed to 224×168 in each 224 px panel, 28 px above and below
  const box = { x1: 0.125, y1: 0.5, x2: 0.55, y2: 0.8, label: 'dog 0.91' }; // the drawn dog
  const words: WordAttention[] = [
    { word: 'a', attention: blob(0.5, 0.5, 0.5) },
    { word: 'dog', attention: blob(0.32, 0.62), box },
    { word: 'runs', attention: blob(0.5, 0.7, 0.2) },
  ];
  for (const style of ['heatmap', 'spotlight'] as const) {
    const png = await renderSheet(image, words, { style, format: 'png' });
    const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const layout = sheetLayout(words.length + 1, 224);
    const isBox = (x: number, y: number) => { const j = (y * info.width + x) * 3; return data[j] === BOX_COLOR[0] && data[j + 1] === BOX_COLOR[1] && data[j + 2] === BOX_COLOR[2]; };
    const count = (panel: number) => {
      const o = panelOrigin(layout, panel);
      let n = 0;
      for (let y = o.y; y < o.y + 224; y++) for (let x = o.x; x < o.x + 224; x++) if (isBox(x, y)) n++;
      return n;
    };
    const o = panelOrigin(layout, 2);
    const b = pixelBox(box, 224, 168);
    const top = o.y + 28;
    t.ok(isBox(o.x + b.x0, top + ((b.y0 + b.y1) >> 1)) && isBox(o.x + b.x1 - 1, top + ((b.y0 + b.y1) >> 1)), `${style}: left and right edges of the box in the "dog" panel`);
    t.ok(isBox(o.x + ((b.x0 + b.x1) >> 1), top + b.y1 - 1), `${style}: bottom edge`);
    t.notOk(isBox(o.x + ((b.x0 + b.x1) >> 1), top + ((b.y0 + b.y1) >> 1)), `${style}: not inside`);
    t.same([count(0), count(1), count(3)], [0, 0, 0], `${style}: the photo and the other words' panels have no box`);
  }
});
