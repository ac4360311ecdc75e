// Turns a training run's best checkpoint into a shipped model: float16 weights under models/<kind>/,
// scored on dev at beam 1 and 3 *from the shipped file*, with a model card (card.json + README.md).
//   npx tsx scripts/ship-model.ts --run runs/soft --kind soft --captions C --dev DEV --cache CACHE [--note "..."]
//       [--coco DIR --coco-cache DIR]   also the pointing game on a COCO folder (train2017/, captions_*.json, instances_*.json)
//       [--from DIR]  a decoder other than <run>/best, e.g. <run>/latest (the last checkpoint of a run cut off mid-epoch)
//       [--beams 3]   dev decodings to score (default 1,3; beam 1 doubles the time on a busy machine)
// A run that started from another model (--init-from) keeps that model's recipe as its first stage.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, isAbsolute, join, relative } from 'node:path';
import { z } from 'zod';
import { initBackend } from '../src/runtime/backend.ts';
import { loadDecoder, saveDecoder } from '../src/model/io.ts';
import { Decoder } from '../src/model/tfjs-decoder.ts';
import { loadDataset } from '../src/data/load.ts';
import { normalize } from '../src/data/tokenize.ts';
import { loadFeatureCache, rowFeatures } from '../src/encoder/cache.ts';
import { evaluateDecoder } from '../src/eval/evaluate.ts';
import { formatScores } from '../src/eval/index.ts';
import { parseArgs } from '../src/util/args.ts';
import { curveSvg } from '../src/train/plot.ts';
import { runEval, type EvalResultFile } from '../src/cli/eval.ts';
import { tmpdir } from 'node:os';

const o = z
  .object({ run: z.string(), kind: z.enum(['soft', 'hard']), captions: z.string(), dev: z.string(), cache: z.string(), out: z.string().default('models'), note: z.string().default(''), limit: z.number().int().positive().optional(), from: z.string().optional() /* decoder dir; default <run>/best */, coco: z.string().optional(), beams: z.union([z.number(), z.string()]).default('1,3').transform((b) => String(b).split(',').map(Number)), cocoCache: z.string().default('cache/coco'), modelsDir: z.string().default('models') })
  .parse(parseArgs(process.argv.slice(2)).options);
const backend = await initBackend();
const best = await loadDecoder(o.from ?? join(o.run, 'best'));
const dest = join(o.out, o.kind);
const state = JSON.parse(readFileSync(join(o.run, 'checkpoint', 'state.json'), 'utf8'));
const log = readFileSync(join(o.run, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const trainRecs = log.filter((r) => r.type === 'train');
const devRecs = log.filter((r) => r.type === 'dev');
const cps = trainRecs.map((r) => r.captionsPerSec).sort((a, b) => a - b);

// The earlier stages of the recipe: the card of the model this run started from (read before it may be overwritten).
const runOptions = readOptions(o.run);
const initCardPath = typeof runOptions.initFrom === 'string' ? join(runOptions.initFrom, 'card.json') : undefined;
const initCard = initCardPath && existsSync(initCardPath) ? JSON.parse(readFileSync(initCardPath, 'utf8')) : undefined;
const earlierStages: unknown[] = initCard ? [...(initCard.recipe ?? [{ hyperparameters: initCard.hyperparameters, training: initCard.training }])] : [];

// Save float16 first and evaluate what is actually shipped.
await saveDecoder(dest, { config: { ...best.config, trained: true }, vocab: best.vocab, params: best.params }, 'float16');
const shipped = await loadDecoder(dest);
const decoder = new Decoder(shipped.config, shipped.vocab, shipped.params);
const cache = await loadFeatureCache(o.cache);
const dev = loadDataset({ format: 'auto', captions: o.captions, split: o.dev }).slice(0, o.limit); // --limit: quick trial runs only
const items = dev.map((it) => ({ image: it.image, features: () => rowFeatures(cache, cache.index.get(it.image)!), references: it.captions.map(normalize) }));
const scores: Record<string, unknown> = {};
let samples: { image: string; caption: string; references: string[] }[] = [];
for (const beam of o.beams) {
  const r = await evaluateDecoder(decoder, items, { beam, maxLength: shipped.config.maxLength, progress: `dev beam ${beam}` });
  const { perItem: _, ...s } = r.scores;
  scores[`beam${beam}`] = s;
  console.log(`dev beam ${beam}: ${formatScores(r.scores)}`);
  if (beam === Math.max(...o.beams)) samples = r.captions.slice(0, 10);
}
// The pointing game on COCO photos with object boxes, beam 3, from the shipped file.
let pointing: EvalResultFile['pointing'] | undefined;
let pointingFocus: EvalResultFile['pointingFocus'] | undefined; // the same words with their focus maps
if (o.coco) {
  const find = (re: RegExp) => join(o.coco!, readdirSync(o.coco!).find((f) => re.test(f)) ?? '');
  const outFile = join(mkdtempSync(join(tmpdir(), 'ship-')), 'pointing.json');
  const code = await runEval({ images: join(o.coco, readdirSync(o.coco).find((f) => /^(train|val)\d+$/.test(f)) ?? 'images'), captions: find(/^captions_.*\.json$/), split: 'all', instances: find(/^instances_.*\.json$/), model: dest, beam: 3, modelsDir: o.modelsDir, cache: o.cocoCache, out: outFile });
  if (code !== 0) throw new Error('pointing game failed');
  ({ pointing, pointingFocus } = JSON.parse(readFileSync(outFile, 'utf8')) as EvalResultFile);
}
const bestEpoch = (best.card?.epoch as number) ?? state.bestEpoch + 1;
const card = {
  model: `show-attend-tell-${o.kind}`,
  attention: o.kind,
  data: 'Flickr8k train split (6,000 images, 5 captions each; captions over 20 words dropped); model selection on the Flickr8k dev split (1,000 images)',
  encoder: { ...shipped.config.encoder, grid: shipped.config.grid, featureDim: shipped.config.featureDim },
  hyperparameters: { embedDim: shipped.config.embedDim, hiddenDim: shipped.config.hiddenDim, attentionDim: shipped.config.attentionDim, dropout: shipped.config.dropout, vocabulary: shipped.vocab.size, maxLength: shipped.config.maxLength, ...runOptions },
  training: {
    bestEpoch,
    epochsRun: devRecs.length,
    steps: state.step,
    hours: Math.round((state.elapsedSec / 3600) * 100) / 100,
    captionsPerSecMedian: cps.length ? Math.round(cps[Math.floor(cps.length / 2)] * 10) / 10 : null,
    backend,
    devBleu4ByEpoch: devRecs.map((r) => Math.round(r.bleu4 * 10000) / 100),
    devCiderDByEpoch: devRecs.map((r) => Math.round(r.ciderD * 10000) / 100),
    note: o.note,
  },
  recipe: [] as unknown[],
  dev: scores,
  weights: 'float16 (scores above are computed from the float16 file)',
  pointing: pointing && { data: basename(o.coco!), decoding: 'beam 3', overall: pointing.overall, focus: pointingFocus?.overall, perCategory: pointing.perCategory, ungrounded: pointing.ungrounded },
  samples,
};
card.recipe = [...earlierStages, { hyperparameters: card.hyperparameters, training: card.training }];
writeFileSync(join(dest, 'card.json'), JSON.stringify(card, null, 2) + '\n');
writeFileSync(
  join(dest, 'curve.svg'),
  curveSvg(trainRecs.map((r) => ({ x: r.epochFloat, y: r.loss })), devRecs.map((r) => ({ x: r.epochFloat, y: r.bleu4 * 100 })), `${o.kind} attention: training loss and dev BLEU-4 (greedy)`),
);
writeFileSync(join(dest, 'README.md'), modelCard(card));
console.log(`shipped ${dest}`);
decoder.dispose();

function pointingSection(p: NonNullable<typeof card.pointing>, c0: typeof card): string {
  const pct = (x: number) => (x * 100).toFixed(1) + '%';
  const sharp = (s: { maxAlpha?: number; top5Mass?: number }) => (s.maxAlpha === undefined ? '— | —' : `${s.maxAlpha.toFixed(3)} | ${pct(s.top5Mass!)}`);
  const rows = Object.entries(p.perCategory).sort((a, b) => b[1].words - a[1].words).map(([cat, s]) => `| ${cat} | ${s.words} | ${pct(s.hitRate)} | ${pct(s.centreHitRate)} | ${pct(s.randomHitRate)} | ${pct(s.mass)} | ${pct(s.uniformMass)} | ${sharp(s)} |`);
  return `
## Attention faithfulness: pointing game (${p.data}, ${p.decoding})

Does a word's attention map peak inside a box of the object it names (\`npm run eval -- --instances\`)?
${p.overall.words} grounded words; ${p.ungrounded.words} object words named a category the photo has no box for.

Sharpness: the mean over grounded words of the map's largest α (uniform: ${(1 / (c0.encoder.grid.h * c0.encoder.grid.w)).toFixed(4)}) and of the mass of its 5 largest cells.

| category | words | argmax in box | centre baseline | random cell | mass in boxes | uniform map | max α | top-5 mass |
|---|---|---|---|---|---|---|---|---|
| **all** | ${p.overall.words} | **${pct(p.overall.hitRate)}** | ${pct(p.overall.centreHitRate)} | ${pct(p.overall.randomHitRate)} | ${pct(p.overall.mass)} | ${pct(p.overall.uniformMass)} | ${sharp(p.overall)} |
${p.focus ? `| **all, focus maps** | ${p.focus.words} | **${pct(p.focus.hitRate)}** | ${pct(p.focus.centreHitRate)} | ${pct(p.focus.randomHitRate)} | ${pct(p.focus.mass)} | ${pct(p.focus.uniformMass)} | ${sharp(p.focus)} |\n` : ''}${rows.join('\n')}
${p.focus ? '\nThe focus map of an object word (the API\'s `focus`, what overlays draw) is p(region | word) ∝ α_t · p(word | that region\'s context): docs/attention-supervision.md, "Focus maps".\n' : ''}`;
}

/** The run's options, absolute paths made relative: the card is served by /v1/models, which never shows server paths. */
function readOptions(run: string): Record<string, unknown> {
  const p = join(run, 'options.json');
  const options: Record<string, unknown> = existsSync(p) ? JSON.parse(readFileSync(p, 'utf8')) : {};
  return Object.fromEntries(Object.entries(options).map(([k, v]) => [k, typeof v === 'string' && isAbsolute(v) ? relative(process.cwd(), v) : v]));
}

function modelCard(c: typeof card): string {
  const row = (name: string, s: any) => `| ${name} | ${[s.bleu1, s.bleu2, s.bleu3, s.bleu4, s.ciderD, s.rougeL].map((x: number) => (x * 100).toFixed(2)).join(' | ')} |`;
  return `# Model card: ${c.model}

Show, Attend and Tell decoder (Xu et al. 2015) with **${c.attention} attention**, trained in TypeScript (tfjs, hand-written BPTT) by this repository.

- **Data:** ${c.data}.
- **Encoder:** ${c.encoder.id} (sha256 \`${c.encoder.sha256.slice(0, 16)}…\`), input ${c.encoder.inputSize}×${c.encoder.inputSize} squashed, annotation grid ${c.encoder.grid.h}×${c.encoder.grid.w}×${c.encoder.featureDim} (the input of the final global average pool), frozen.
- **Decoder:** embedding ${c.hyperparameters.embedDim}, LSTM ${c.hyperparameters.hiddenDim}, attention MLP ${c.hyperparameters.attentionDim}, vocabulary ${c.hyperparameters.vocabulary} words (count ≥ 5 in train + 4 specials), dropout ${c.hyperparameters.dropout}, max ${c.hyperparameters.maxLength} words.
- **Training:** ${JSON.stringify(c.hyperparameters)}
- **Run:** best dev BLEU-4 (greedy) at epoch ${c.training.bestEpoch} of ${c.training.epochsRun} evaluated; ${c.training.steps} steps; ${c.training.hours} h wall-clock on 2 CPU cores (${c.training.backend}), median ${c.training.captionsPerSecMedian} captions/s. ${c.training.note}
- **Dev BLEU-4 / CIDEr-D by epoch (greedy; epoch 0 = the starting model):** ${c.training.devBleu4ByEpoch.join(', ')} / ${c.training.devCiderDByEpoch.join(', ')}
- **Recipe:** ${c.recipe.length} stage(s): ${c.recipe.map((st: any, i: number) => `(${i + 1}) ${st.hyperparameters.objective === 'scst' ? `self-critical CIDEr-D, K=${st.hyperparameters.scstSamples} samples, ${st.hyperparameters.scstBaseline} baseline` : st.hyperparameters.attention === 'hard' ? 'hard attention, REINFORCE' : 'cross-entropy'}${st.hyperparameters.attentionTargets ? ` + attention correctness (μ ${st.hyperparameters.mu}, detector score ≥ ${st.hyperparameters.targetThreshold}, ${st.hyperparameters.attentionTargets})` : ''}, lr ${st.hyperparameters.lr}, ${st.training.epochsRun} epoch(s) evaluated, ${st.training.hours} h`).join('; ')}
- **Weights:** ${c.weights}.

## Dev scores (Flickr8k dev, 1,000 images, 5 references; coco-caption definitions; ×100)

| decoding | BLEU-1 | BLEU-2 | BLEU-3 | BLEU-4 | CIDEr-D | ROUGE-L |
|---|---|---|---|---|---|---|
${Object.entries(c.dev).map(([k, s]) => row(k === 'beam1' ? 'greedy (beam 1)' : k.replace('beam', 'beam '), s)).join('\n')}

METEOR is not computed (no faithful implementation here).
${c.pointing ? pointingSection(c.pointing, c) : ''}
## 10 dev captions (beam 3)

| image | generated | first reference |
|---|---|---|
${c.samples.map((s) => `| ${s.image} | ${s.caption} | ${s.references[0]} |`).join('\n')}

![training curve](curve.svg)
`;
}
