// Paired bootstrap of two `npm run eval --out` files on the same images (src/eval/bootstrap.ts):
//   npx tsx scripts/compare-evals.ts A.json B.json
// CIDEr-D only: the corpus score is the mean of the per-image scores (corpus BLEU is not).
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { pairedBootstrap } from '../src/eval/bootstrap.ts';
import { parseArgs } from '../src/util/args.ts';

const { positional } = parseArgs(process.argv.slice(2));
if (positional.length !== 2) throw new Error('usage: compare-evals.ts A.json B.json');
const EvalFile = z.object({ captions: z.array(z.object({ image: z.string(), ciderD: z.number() })) });
const [a, b] = positional.map((f) => new Map(EvalFile.parse(JSON.parse(readFileSync(f, 'utf8'))).captions.map((c) => [c.image, c.ciderD])));
const images = [...a.keys()].sort();
const missing = images.filter((im) => !b.has(im));
if (missing.length || a.size !== b.size) throw new Error(`the two files caption different images (${missing.length} of A's not in B)`);
const r = pairedBootstrap(images.map((im) => a.get(im)!), images.map((im) => b.get(im)!));
const f = (x: number) => (x >= 0 ? '+' : '') + (100 * x).toFixed(2);
console.log(`CIDEr-D A − B: ${f(r.diff)}, 95% interval [${f(r.low)}, ${f(r.high)}], A better in ${(100 * r.aBetter).toFixed(1)}% of ${images.length}-image resamples`);
