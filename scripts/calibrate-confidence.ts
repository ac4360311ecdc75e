// Fits the confidence map (src/service/confidence.ts) on Flickr8k dev: caption each image with
// the real pipeline (beam 3, shipped decoder), label a caption "good" when its own CIDEr-D
// (against the image's 5 references, document frequencies over the split) is ≥ GOOD, and fit
// P(good) = σ(b + w1·meanLogprob + w2·agreement) by logistic regression (Newton's method).
// Fitted on the even-numbered images, reported on the odd ones, then refitted on all and written.
//
// The map already in --out is scored on the same captions first (stderr), so a refit is judged
// against it in one run.
//
//   npx tsx scripts/calibrate-confidence.ts --images DIR --captions FILE --split FILE [--limit N]
//       [--models-dir models] [--out src/service/confidence-calibration.json]
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadDataset } from '../src/data/load.ts';
import { normalize } from '../src/data/tokenize.ts';
import { scoreAll } from '../src/eval/index.ts';
import { calibrate } from '../src/service/confidence.ts';
import { Captioner } from '../src/service/captioner.ts';
import { CaptionOptionsSchema } from '../src/service/schemas.ts';
import { parseArgs } from '../src/util/args.ts';

const GOOD = 0.5; // per-caption CIDEr-D (×1); a third of dev captions at beam 3
const { options } = parseArgs(process.argv.slice(2));
const limit = Number(options.limit ?? Infinity);
const items = loadDataset({ format: 'auto', captions: String(options.captions), split: String(options.split) }).slice(0, limit);
const captioner = await Captioner.load({ modelsDir: String(options.modelsDir ?? 'models'), allowDownload: false });
const opts = CaptionOptionsSchema.parse({ beamSize: 3, includeMaps: false });
const rows: { x1: number; x2: number; caption: string; refs: string[] }[] = [];
for (const [i, it] of items.entries()) {
  const [{ result }] = await captioner.caption([await readFile(join(String(options.images), it.image))], opts);
  rows.push({ x1: result.confidenceInputs.meanLogprob, x2: result.confidenceInputs.agreement, caption: result.caption, refs: it.captions.map(normalize) });
  if (i % 100 === 99) process.stderr.write(`  ${i + 1}/${items.length}\n`);
}
await captioner.dispose();
const per = scoreAll(rows.map((r) => ({ hypothesis: r.caption, references: r.refs }))).perItem;
const y = per.map((p) => (p.ciderD >= GOOD ? 1 : 0));

/** Logistic regression on [1, x1, x2] by Newton's method, with a tiny ridge for stability. */
function fit(idx: number[]): [number, number, number] {
  let w = [0, 0, 0];
  for (let it = 0; it < 50; it++) {
    const g = [0, 0, 0];
    const H = [[1e-6, 0, 0], [0, 1e-6, 0], [0, 0, 1e-6]];
    for (const i of idx) {
      const x = [1, rows[i].x1, rows[i].x2];
      const p = 1 / (1 + Math.exp(-(w[0] + w[1] * x[1] + w[2] * x[2])));
      for (let a = 0; a < 3; a++) {
        g[a] += (y[i] - p) * x[a];
        for (let b = 0; b < 3; b++) H[a][b] += p * (1 - p) * x[a] * x[b];
      }
    }
    w = w.map((v, a) => v + solve(H, g)[a]);
  }
  return w as [number, number, number];
}
function solve(A: number[][], b: number[]): number[] {
  const M = A.map((r, i) => [...r, b[i]]);
  for (let c = 0; c < 3; c++) {
    const p = M.reduce((best, r, i) => (i >= c && Math.abs(r[c]) > Math.abs(M[best][c]) ? i : best), c);
    [M[c], M[p]] = [M[p], M[c]];
    for (let r = 0; r < 3; r++) if (r !== c) { const f = M[r][c] / M[c][c]; for (let k = c; k < 4; k++) M[r][k] -= f * M[c][k]; }
  }
  return M.map((r, i) => r[3] / r[i]);
}
function report(idx: number[], w: [number, number, number]) {
  const c = { bias: w[0], wLogprob: w[1], wAgreement: w[2], lowConfidence: 0 };
  const p = idx.map((i) => calibrate(rows[i].x1, rows[i].x2, c));
  const brier = idx.reduce((s, i, k) => s + (p[k] - y[i]) ** 2, 0) / idx.length;
  const base = idx.reduce((s, i) => s + y[i], 0) / idx.length;
  // AUC: probability that a good caption outranks a bad one.
  const pos = idx.map((i, k) => [p[k], y[i]]).filter(([, t]) => t === 1).map(([q]) => q);
  const neg = idx.map((i, k) => [p[k], y[i]]).filter(([, t]) => t === 0).map(([q]) => q);
  let wins = 0;
  for (const a of pos) for (const b of neg) wins += a > b ? 1 : a === b ? 0.5 : 0;
  // Reliability: mean predicted vs observed rate in quintiles of p.
  const order = idx.map((i, k) => ({ p: p[k], y: y[i] })).sort((a, b) => a.p - b.p);
  const bins = Array.from({ length: 5 }, (_, b) => order.slice(Math.floor((b * order.length) / 5), Math.floor(((b + 1) * order.length) / 5)));
  const reliability = bins.map((bin) => ({ predicted: +(bin.reduce((s, r) => s + r.p, 0) / bin.length).toFixed(3), observed: +(bin.reduce((s, r) => s + r.y, 0) / bin.length).toFixed(3) }));
  return { n: idx.length, goodRate: +base.toFixed(3), brier: +brier.toFixed(4), brierOfBaseRate: +(base * (1 - base)).toFixed(4), auc: +(wins / (pos.length * neg.length)).toFixed(3), reliability };
}
const all = rows.map((_, i) => i);
const even = all.filter((i) => i % 2 === 0), odd = all.filter((i) => i % 2 === 1);
const outPath = String(options.out ?? 'src/service/confidence-calibration.json');
if (existsSync(outPath)) {
  const prev = JSON.parse(await readFile(outPath, 'utf8')) as { bias: number; wLogprob: number; wAgreement: number };
  const w0: [number, number, number] = [prev.bias, prev.wLogprob, prev.wAgreement];
  process.stderr.write(`the map now in ${outPath}, on these captions: ${JSON.stringify({ odd: report(odd, w0), all: report(all, w0) })}\n`);
}
const held = report(odd, fit(even));
const w = fit(all);
const out = {
  bias: +w[0].toFixed(4), wLogprob: +w[1].toFixed(4), wAgreement: +w[2].toFixed(4),
  lowConfidence: 0.2,
  fit: `logistic regression, P(per-caption CIDEr-D >= ${GOOD}) on ${rows.length} Flickr8k dev images, models/soft beam 3 (scripts/calibrate-confidence.ts)`,
  heldOut: held,
  inSample: report(all, w),
};
console.log(JSON.stringify(out, null, 2));
await writeFile(outPath, JSON.stringify(out, null, 2) + '\n');
