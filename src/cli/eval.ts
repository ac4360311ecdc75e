// `npm run eval`: caption every image of a split with a saved decoder and score the captions
// against all of each image's references (BLEU-1..4, CIDEr-D, ROUGE-L; METEOR is not computed).
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import sharp from 'sharp';
import { z } from 'zod';
import { initBackend } from '../runtime/backend.ts';
import { Encoder, type InputSize } from '../encoder/encoder.ts';
import { hasFineDetail } from '../encoder/preprocess.ts';
import { buildFeatureCache, loadFeatureCache, rowFeatures, type FeatureCache } from '../encoder/cache.ts';
import { detectFormat, loadDataset } from '../data/load.ts';
import { normalize } from '../data/tokenize.ts';
import { Decoder } from '../model/tfjs-decoder.ts';
import { loadDecoder } from '../model/io.ts';
import { evaluateDecoder, type EvalItem } from '../eval/evaluate.ts';
import { ProgressBar } from '../util/progress.ts';
import { DEFAULT_REPETITION_PENALTY } from '../decoding/constraints.ts';
import { formatScores } from '../eval/index.ts';
import { loadInstances } from '../eval/grounding/instances.ts';
import { flagName, optionHelp } from './help.ts';
import { formatPointing, pointingGame, type PointingResult } from '../eval/grounding/game.ts';
import { chair, formatChair, type ChairResult } from '../eval/grounding/chair.ts';
import { imagenetTop } from '../eval/grounding/evidence.ts';
import { Detector } from '../detector/detector.ts';
import { buildDetectionsFile, loadDetectionsFile } from '../detector/detections-file.ts';
import { DEFAULT_GROUNDING_RULES, imageGrounding, type GroundingRules } from '../decoding/grounding.ts';

/** A path option: parseArgs turns numeric-looking values into numbers, so accept those too. */
const pathOption = (what: string) =>
  z
    .union([z.string().min(1), z.number()], { error: (iss) => (iss.input === undefined ? `is required (${what})` : `expects ${what}`) })
    .transform(String);
const optionalPath = (what: string, def: string) =>
  z.union([z.string().min(1), z.number()], { error: `expects ${what}` }).transform(String).default(def);

const flag = z.union([z.boolean(), z.enum(['true', 'false'])], { error: 'expects true or false' }).transform((v) => v === true || v === 'true');
const rule = (k: Exclude<keyof GroundingRules, 'within' | 'boostFirst' | 'refine' | 'transfer' | 'generalise' | 'phrases'>) => z.number({ error: 'expects a number ≥ 0' }).min(0, 'expects a number ≥ 0').default(DEFAULT_GROUNDING_RULES[k]);

export const EvalOptionsSchema = z
  .object({
    images: pathOption('a folder of images: --images DIR').describe('folder holding the split\'s images'),
    captions: pathOption('a captions file: --captions FILE').describe('Flickr8k token file, Karpathy dataset_*.json or COCO captions_*.json'),
    split: pathOption('a split: --split FILE (Flickr8k) or train|val|test (Karpathy)').describe('Flickr8k: file of image names (e.g. Flickr_8k.testImages.txt); Karpathy: train | val | test; COCO: all (the file is the split)'),
    model: optionalPath('a decoder folder', 'models/soft').describe('saved decoder'),
    beam: z.number({ error: 'expects a whole number ≥ 1' }).int('expects a whole number ≥ 1').min(1, 'expects a whole number ≥ 1').max(50, 'at most 50').default(3).describe('beam width, 1 = greedy'),
    lengthPenalty: z.number({ error: 'expects a number ≥ 0' }).min(0, 'expects a number ≥ 0').default(0).describe('beam length penalty'),
    maxLength: z.number({ error: 'expects a whole number ≥ 1' }).int('expects a whole number ≥ 1').min(1, 'expects a whole number ≥ 1').default(20).describe('longest caption in words'),
    repetitionPenalty: z.number({ error: 'expects a number ≥ 0' }).min(0, 'expects a number ≥ 0').max(1000, 'at most 1000').default(DEFAULT_REPETITION_PENALTY).describe('log-prob subtracted from a content word already in the caption (the service default; 0 = off)'),
    out: optionalPath('a file path', 'results.json').describe('JSON results: scores and every caption'),
    modelsDir: optionalPath('a folder', process.env.MODELS_DIR ?? 'models').describe('folder with the encoder .onnx (env MODELS_DIR, else models)'),
    cache: optionalPath('a folder', 'cache/features').describe('on-disk feature cache, reused across runs'),
    format: z.enum(['auto', 'flickr8k', 'karpathy', 'coco'], { error: 'expects auto, flickr8k, karpathy or coco' }).default('auto').describe('format of --captions'),
    limit: z.number({ error: 'expects a whole number ≥ 1' }).int('expects a whole number ≥ 1').min(1, 'expects a whole number ≥ 1').optional().describe('evaluate the first N images of the split only'),
    instances: pathOption('a COCO instances file: --instances FILE').optional().describe('COCO instances_*.json: also play the pointing game (does each object word\'s attention map peak inside that object\'s box?) and score object hallucination (CHAIR_i, CHAIR_s) and object recall'),
    detections: pathOption('a detections file: --detections FILE').optional().describe('precomputed detections (layout of ../shared/data/flickr8k-detections/centernet-512.json; scripts/detect-flickr8k.ts); default: the detector in --models-dir'),
    grounding: flag.default(true).describe('grounding rules in the search (docs/grounding.md): --no-grounding or --grounding false = the model alone'),
    fineFocus: flag.default(true).describe('with --instances: object words\' focus maps on the finer grid, as the service makes them (fineFocus; photos larger than the encoder input); --no-fine-focus: on the decoder\'s grid'),
    imagenetFile: pathOption('a JSON file: --imagenet-file FILE').optional().describe('where the encoder\'s ImageNet top-10 per image is kept (default: imagenet-top10.json in the feature cache folder)'),
    evidence: z.enum(['both', 'detector', 'imagenet'], { error: 'expects both, detector or imagenet' }).default('both').describe('what grounding believes: detections, the encoder\'s ImageNet classes, or both'),
    groundFloor: rule('floor').describe('support below this: the category is not in the photo'),
    groundPenalty: rule('penalty').describe('nats off words of unsupported categories'),
    groundConfident: rule('confident').describe('support at or above this: confidently in the photo'),
    groundBoost: rule('boost').describe('nats added to words of confident categories until named'),
    groundEndPenalty: rule('endPenalty').describe('nats off <end> per confident category not named yet'),
    groundWithin: z.number({ error: 'expects a number from 0 to 1' }).min(0, 'expects a number from 0 to 1').max(1, 'expects a number from 0 to 1').default(DEFAULT_GROUNDING_RULES.within).describe('λ: 1 = the boost only chooses which object word (the model decides when), 0 = a plain +boost'),
    groundBoostFirst: flag.default(DEFAULT_GROUNDING_RULES.boostFirst).describe('boost the caption\'s first word too (default: the model chooses how the caption opens)'),
    groundSlope: rule('slope').describe('graded suppression k: −min(penalty, k·ln(floor/support)) below the floor; 0 = flat'),
    groundTransfer: flag.default(DEFAULT_GROUNDING_RULES.transfer).describe('with --ground-within > 0: unsupported object words\' probability goes to the allowed ones'),
    groundGeneralise: flag.default(DEFAULT_GROUNDING_RULES.generalise).describe('unsupported animal words hand their probability to "animal(s)" when no confident category takes it; --no-ground-generalise: off'),
    groundPhrases: flag.default(DEFAULT_GROUNDING_RULES.phrases).describe('name confident categories without a word by their two words ("stop sign"); --no-ground-phrases: off'),
    groundAttend: rule('attend').describe('κ: prefer allowed object words whose boxes the step\'s attention falls on (+κ·log lift, src/decoding/attend.ts); 0 = off'),
    groundRefine: flag.default(DEFAULT_GROUNDING_RULES.refine).describe('refine generic words to a confident category of their COCO supercategory ("animal" → "giraffe"); --no-ground-refine: off'),
    help: z.boolean().optional().describe('this text'),
  })
  .strict();
export type EvalOptions = z.infer<typeof EvalOptionsSchema>;

/** --help: the options come from EvalOptionsSchema (flags, defaults, descriptions). */
export function evalUsage(): string {
  return `npm run eval -- --images DIR --captions FILE --split FILE [options]

options:
${optionHelp(EvalOptionsSchema, { values: { images: 'DIR', captions: 'FILE', split: 'FILE|NAME', model: 'DIR', out: 'FILE', modelsDir: 'DIR', cache: 'DIR', instances: 'FILE', detections: 'FILE', imagenetFile: 'FILE' } })}

Scores: BLEU-1..4, CIDEr-D and ROUGE-L (coco-caption definitions, all references per image).
METEOR is not computed (it needs the Java METEOR 1.5 jar).
Pointing game (--instances): hit rate of the argmax cell, attention mass inside the boxes, and
the same for a fixed guess at the image centre / a uniform map and a random cell, overall and
per category (word list: src/grounding/categories.ts); object hallucination CHAIR_i / CHAIR_s
and object recall (src/eval/grounding/chair.ts).
Grounding (on unless --no-grounding): the search's grounding rules see --detections (when given)
(else the detector in --models-dir, run on each photo as the server prepares it and cached beside
the features) and the encoder's ImageNet top-10 (computed once, kept beside the feature cache).
`;
}

/** One message per bad option, named as typed on the command line. */
export function describeIssues(err: z.ZodError): string {
  return err.issues
    .map((i) => {
      if (i.code === 'unrecognized_keys') return `unknown option${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => flagName(k)).join(', ')}`;
      return `${flagName(String(i.path[0] ?? '?'))} ${i.message}`;
    })
    .join('\n');
}

export interface EvalResultFile {
  model: string;
  attention: string;
  trained: boolean;
  beam: number;
  lengthPenalty: number;
  maxLength: number;
  repetitionPenalty: number;
  captionsFile: string;
  split: string;
  images: number;
  scores: { bleu1: number; bleu2: number; bleu3: number; bleu4: number; ciderD: number; rougeL: number };
  meteor: null;
  captions: { image: string; caption: string; references: string[]; bleu4?: number; ciderD?: number }[];
  pointing?: Omit<PointingResult, 'items'> & { items: PointingResult['items'] };
  pointingFocus?: Omit<PointingResult, 'items'> & { items: PointingResult['items'] }; // the same words, scored with their focus maps
  fineFocus?: boolean; // with pointing: were the focus maps fine ones (where the photo had the detail)
  grounding: false | { rules: GroundingRules; evidence: string; detections: string | null };
  objects?: ChairResult;
}

/** Runs an evaluation from command-line options; returns the process exit code. */
export async function runEval(options: Record<string, unknown>, log: (msg: string) => void = (m) => process.stderr.write(`${m}\n`)): Promise<number> {
  if (options.help) {
    process.stdout.write(evalUsage());
    return 0;
  }
  const parsed = EvalOptionsSchema.safeParse(options);
  if (!parsed.success) {
    log(`eval: bad options:\n${describeIssues(parsed.error)}\n\n${evalUsage()}`);
    return 2;
  }
  try {
    await evaluate(parsed.data, log);
    return 0;
  } catch (err) {
    log(`eval: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

async function evaluate(o: EvalOptions, log: (msg: string) => void): Promise<EvalResultFile> {
  // Cheap checks first: a wrong dataset argument should not wait for the model to load.
  const format = o.format === 'auto' && existsSync(o.captions) ? detectFormat(readFileSync(o.captions, 'utf8'), o.captions) : o.format;
  let items = loadDataset({ format, captions: o.captions, split: format === 'coco' ? undefined : o.split });
  if (o.limit !== undefined) items = items.slice(0, o.limit);
  if (items.length === 0) throw new Error(`split ${o.split} has no images`);
  const objects = o.instances === undefined ? undefined : loadInstances(o.instances);
  let detections = o.detections === undefined ? undefined : loadDetectionsFile(o.detections);
  const undetected = detections && items.find((it) => !detections!.has(it.image));
  if (undetected) throw new Error(`${o.detections} has no entry for ${undetected.image}: it must hold the detections of the same images`);
  const unboxed = objects && items.find((it) => !objects.has(it.image));
  if (unboxed) throw new Error(`${o.instances} has no entry for ${unboxed.image}: the pointing game needs the instances file of the same images`);

  const backend = await initBackend();
  const saved = await loadDecoder(o.model);
  const { config } = saved;
  if (config.encoder.inputSize !== 224 && config.encoder.inputSize !== 448)
    throw new Error(`${o.model}: encoder input size ${config.encoder.inputSize} is not supported (224 or 448)`);
  log(`eval: ${items.length} images, decoder ${o.model} (${config.attention} attention, vocabulary ${saved.vocab.size}${config.trained ? '' : ', UNTRAINED'}), backend ${backend}`);

  // ---- features: reuse the on-disk cache, encoding only images it does not have ----
  const encoder = await Encoder.load({ modelsDir: o.modelsDir, inputSize: config.encoder.inputSize as InputSize });
  let cachePath: string;
  let imagenet: Awaited<ReturnType<typeof imagenetTop>> | undefined;
  let detectionsSource = o.detections ?? null;
  try {
    if (encoder.sha256 !== config.encoder.sha256 || encoder.grid.h !== config.grid.h || encoder.grid.w !== config.grid.w || encoder.featureDim !== config.featureDim)
      throw new Error(
        `${o.model} was trained on ${config.encoder.id} (sha256 ${config.encoder.sha256.slice(0, 12)}) ${config.grid.h}x${config.grid.w}x${config.featureDim} features, ` +
          `the encoder in ${o.modelsDir} gives ${encoder.id} (sha256 ${encoder.sha256.slice(0, 12)}) ${encoder.grid.h}x${encoder.grid.w}x${encoder.featureDim}`,
      );
    const names = items.map((it) => it.image);
    const bar = new ProgressBar('  features', new Set(names).size, 'images');
    cachePath = await buildFeatureCache({
      imagesDir: o.images, names, cacheDir: o.cache, encoder, batchSize: 16,
      onProgress: (p) => bar.update(p.done),
    });
    // Without --detections the grounding rules see what the server's would: the detector in
    // MODELS_DIR run on each photo as the service prepares it (cached beside the features).
    if (o.grounding && o.evidence !== 'imagenet' && !detections && existsSync(join(o.modelsDir, 'detector'))) {
      const detector = await Detector.load({ modelsDir: o.modelsDir, tensorSize: config.encoder.inputSize });
      try {
        const dbar = new ProgressBar('  detections', names.length, 'images');
        const file = await buildDetectionsFile({ imagesDir: o.images, names, rootDir: resolve(cachePath, 'detections'), detector, onProgress: (done) => dbar.update(done) });
        detections = loadDetectionsFile(file);
        detectionsSource = `${detector.id} at ${detector.inputSize} (${file})`;
      } finally {
        await detector.dispose();
      }
    }
    if (o.grounding && o.evidence !== 'detector') imagenet = await imagenetTop(encoder, o.images, names, o.imagenetFile ?? resolve(cachePath, 'imagenet-top10.json'));
  } finally {
    await encoder.dispose();
  }
  const cache = await loadFeatureCache(cachePath);
  const fine = objects && o.fineFocus ? await fineFeatureCache(o, [...new Set(items.map((it) => it.image))], config.encoder.inputSize) : undefined;
  if (fine) log(`eval: fine focus maps on ${fine.grid.h}x${fine.grid.w} for the ${new Set(items.filter((it) => fine.index.has(it.image)).map((it) => it.image)).size} photos larger than ${config.encoder.inputSize} px`);

  // ---- captions and scores ----
  const rules: GroundingRules = { floor: o.groundFloor, penalty: o.groundPenalty, confident: o.groundConfident, boost: o.groundBoost, endPenalty: o.groundEndPenalty, within: o.groundWithin, boostFirst: o.groundBoostFirst, refine: o.groundRefine, slope: o.groundSlope, transfer: o.groundTransfer, generalise: o.groundGeneralise, phrases: o.groundPhrases, attend: o.groundAttend };
  const evalItems: EvalItem[] = items.map((it) => {
    const row = cache.index.get(it.image);
    if (row === undefined) throw new Error(`feature cache ${cachePath} has no row for ${it.image}`);
    const evidence = { detections: o.evidence !== 'imagenet' ? detections?.get(it.image) : undefined, imagenet: imagenet?.get(it.image), grid: config.grid };
    const grounding = o.grounding ? imageGrounding(saved.vocab.words, evidence, rules, config.supportedOnly) : undefined;
    const fineRow = fine?.index.get(it.image);
    const fineFeatures = fine && fineRow !== undefined ? () => ({ features: rowFeatures(fine, fineRow), grid: fine.grid }) : undefined;
    return { image: it.image, features: () => rowFeatures(cache, row), references: it.captions.map(normalize), grounding, fine: fineFeatures };
  });
  log(`eval: grounding ${o.grounding ? `on (evidence ${o.evidence}${detections ? `, detections ${detectionsSource}` : ', no detections'}; ${JSON.stringify(rules)})` : 'off'}`);
  const decoder = new Decoder(config, saved.vocab, saved.params);
  let result: Awaited<ReturnType<typeof evaluateDecoder>>;
  try {
    result = await evaluateDecoder(decoder, evalItems, {
      beam: o.beam, maxLength: o.maxLength, lengthPenalty: o.lengthPenalty, repetitionPenalty: o.repetitionPenalty, progress: `  captions (${o.beam > 1 ? `beam ${o.beam}` : 'greedy'})`, keepMaps: objects !== undefined,
    });
  } finally {
    decoder.dispose();
  }
  const { perItem, ...scores } = result.scores;

  process.stdout.write(`${formatScores(scores)}\n`);
  process.stdout.write(`METEOR: not computed (needs the Java METEOR 1.5 jar; no comparable JS implementation)\n`);
  const pointing = objects ? pointingGame(result.maps, objects, config.grid) : undefined;
  if (pointing) process.stdout.write(`${formatPointing(pointing)}\n`);
  // The same words scored with their focus maps (src/decoding/focus.ts) instead of α_t.
  const pointingFocus = objects ? pointingGame(result.maps.map((m) => ({ ...m, alphas: m.alphas.map((a, t) => m.focus[t] ?? a), grids: m.focus.map((f) => (f ? m.focusGrid : undefined)) })), objects, config.grid) : undefined;
  if (pointingFocus) process.stdout.write(`focus maps: ${formatPointing(pointingFocus)}\n`);
  const chairResult = objects
    ? chair(result.captions.map((c) => ({ image: c.image, caption: c.caption, references: c.references, boxed: new Set(objects.get(c.image)!.boxes.keys()) })))
    : undefined;
  if (chairResult) process.stdout.write(`${formatChair(chairResult)}\n`);

  const out: EvalResultFile = {
    model: o.model,
    attention: config.attention,
    trained: config.trained,
    beam: o.beam,
    lengthPenalty: o.lengthPenalty,
    maxLength: o.maxLength,
    repetitionPenalty: o.repetitionPenalty,
    captionsFile: o.captions,
    split: o.split,
    images: items.length,
    scores,
    meteor: null,
    captions: result.captions.map((c, i) => ({ ...c, bleu4: perItem[i]?.bleu[3], ciderD: perItem[i]?.ciderD })),
    ...(pointing ? { pointing } : {}),
    ...(pointingFocus ? { pointingFocus, fineFocus: Boolean(fine) } : {}),
    grounding: o.grounding ? { rules, evidence: o.evidence, detections: detectionsSource } : false,
    ...(chairResult ? { objects: chairResult } : {}),
  };
  await mkdir(dirname(resolve(o.out)), { recursive: true });
  await writeFile(o.out, JSON.stringify(out, null, 2) + '\n');
  log(`eval: wrote ${o.out}`);
  return out;
}

/**
 * The encoder's features at twice the input size for the photos larger than the input on a side
 * (as the service's fine focus maps: PreparedImage.fine), cached beside the others; undefined when
 * no photo is (Flickr8k's are 224 px).
 */
async function fineFeatureCache(o: EvalOptions, names: string[], inputSize: number): Promise<FeatureCache | undefined> {
  const big: string[] = [];
  for (const name of names) {
    const { width = 0, height = 0 } = await sharp(join(o.images, name)).metadata();
    if (hasFineDetail(width, height, inputSize)) big.push(name);
  }
  if (!big.length) return undefined;
  const encoder = await Encoder.load({ modelsDir: o.modelsDir, inputSize: (2 * inputSize) as InputSize });
  try {
    const bar = new ProgressBar('  fine features', big.length, 'images');
    const path = await buildFeatureCache({ imagesDir: o.images, names: big, cacheDir: o.cache, encoder, batchSize: 1, onProgress: (p) => bar.update(p.done) });
    return await loadFeatureCache(path);
  } finally {
    await encoder.dispose();
  }
}
