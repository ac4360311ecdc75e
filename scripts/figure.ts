// Renders the README figure: a generated scene (no dataset image is committed), captioned by the
// shipped soft model (grounded by the detector when models/detector is there), as a paper-style sheet. npx tsx scripts/figure.ts [--models-dir models] [--out docs/figure.png]
import { writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { Captioner } from '../src/pipeline/captioner.ts';
import { parsePlan } from '../src/service/options.ts';
import { renderSheet } from '../src/render/index.ts';
import { overlayWords } from '../src/pipeline/overlay.ts';
import { parseArgs } from '../src/util/args.ts';

const { options } = parseArgs(process.argv.slice(2));
const modelsDir = String(options.modelsDir ?? 'models');
const out = String(options.out ?? 'docs/figure.png');

// A child in a red shirt on a green lawn with a ball, under a blue sky.
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="448" height="448">
<rect width="448" height="220" fill="#7ab6e8"/><rect y="220" width="448" height="228" fill="#4f9a3a"/>
<circle cx="380" cy="60" r="30" fill="#fff3a0"/>
<rect x="40" y="120" width="70" height="110" fill="#6b4a2b"/><circle cx="75" cy="110" r="55" fill="#2f6b2a"/>
<circle cx="220" cy="150" r="26" fill="#e9c19a"/><rect x="196" y="176" width="48" height="80" rx="10" fill="#d32f2f"/>
<rect x="200" y="256" width="16" height="70" fill="#1d3b6b"/><rect x="224" y="256" width="16" height="70" fill="#1d3b6b"/>
<rect x="170" y="185" width="28" height="12" fill="#e9c19a"/><rect x="242" y="185" width="28" height="12" fill="#e9c19a"/>
<circle cx="320" cy="330" r="28" fill="#f5f5f5"/><path d="M300 318 q20 12 40 0" stroke="#222" fill="none" stroke-width="3"/>
</svg>`;
const image = await sharp(Buffer.from(svg)).jpeg({ quality: 92 }).toBuffer();
const captioner = await Captioner.load({ modelsDir, allowDownload: false, log: (m) => console.error(m) });
const prepared = await captioner.prepare(image, { pixels: true });
const [r] = await captioner.caption([prepared], parsePlan({ beamSize: 3 }));
console.log(r.result.caption);
const sheet = await renderSheet(
  prepared.pixels!,
  overlayWords(r.result), // grounded words carry their detection box
  { mode: 'soft', format: 'png', panelSize: 160, columns: 5, title: r.result.caption },
);
writeFileSync(out, sheet);
console.log(`wrote ${out}`);
await captioner.dispose();
