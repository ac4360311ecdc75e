import { existsSync, readFileSync } from 'node:fs';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { initBackend } from '../runtime/backend.ts';
import { defaultConfig, type DecoderConfig } from '../model/config.ts';
import { initParams, paramLayout } from '../model/params.ts';
import { Decoder } from '../model/tfjs-decoder.ts';
import { loadDecoder, saveDecoder } from '../model/io.ts';
import { Vocabulary } from '../data/vocab.ts';
import { normalize, tokenize } from '../data/tokenize.ts';
import { loadDataset } from '../data/load.ts';
import { decodeHalf } from '../util/float16.ts';
import { formatScores } from '../eval/index.ts';
import { deriveSeed, mulberry32, shuffleInPlace } from '../util/rng.ts';
import { Adam, clipGlobalNorm } from './adam.ts';
import { makeBatches } from './batches.ts';
import { batchRegions, buildExamples } from './examples.ts';
import { loadDetectionsFile } from '../detector/detections-file.ts';
import { hasCheckpoint, loadCheckpoint, saveCheckpoint, type TrainState } from './checkpoint.ts';
import { evaluateDecoder, type EvalItem } from '../eval/evaluate.ts';
import { TrainOptionsSchema, type TrainOptionsInput } from './options.ts';
import { curveSvg, type CurvePoint } from './plot.ts';
import { ProgressBar, formatDuration } from '../util/progress.ts';
import { GradWorker } from './workers.ts';
import { afterDevScore, currentLr } from './schedule.ts';
import { movingAverage, useSampledLocations } from '../model/reinforce.ts';
import { selfCriticalStep } from './scst.ts';
import { CiderD } from '../eval/cider.ts';
import { loadSharedFeatureCache } from '../encoder/cache.ts';

export async function train(input: TrainOptionsInput): Promise<{ state: TrainState; bestDir: string }> {
  const o = TrainOptionsSchema.parse(input);
  const log = (msg: string) => process.stderr.write(`${msg}\n`);
  await mkdir(o.out, { recursive: true });
  const ckptDir = join(o.out, 'checkpoint');
  const bestDir = join(o.out, 'best');
  if (o.attentionTargets && o.objective === 'scst') throw new Error('--attention-targets supervises teacher-forced (xe) training only, not --objective scst');
  if (hasCheckpoint(ckptDir) && !o.resume) throw new Error(`${o.out} already has a checkpoint: pass --resume to continue it, or choose another --out`);
  const backend = await initBackend(o.backend);

  // ---- data ----
  const cache = loadSharedFeatureCache(o.cache);
  const trainItems = loadDataset({ format: o.format, captions: o.captions, split: o.train });
  const devItems = loadDataset({ format: o.format, captions: o.captions, split: o.dev }).slice(0, o.devLimit);
  const missing = [...trainItems, ...devItems].filter((it) => !cache.rows.has(it.image));
  if (missing.length) throw new Error(`${missing.length} images have no cached features (first: ${missing[0].image}); run scripts/extract-features.ts`);

  const vocabPath = join(o.out, 'vocab.json');
  let vocab: Vocabulary;
  let init: { config: DecoderConfig; params: Float32Array } | undefined;
  if (o.initFrom) {
    const saved = await loadDecoder(o.initFrom);
    vocab = saved.vocab;
    init = saved;
  } else if (existsSync(vocabPath)) vocab = Vocabulary.fromJSON(JSON.parse(readFileSync(vocabPath, 'utf8')));
  else vocab = Vocabulary.build(trainItems.flatMap((it) => it.captions.map(tokenize)), o.minCount);
  await writeFile(vocabPath, JSON.stringify(vocab.toJSON()));
  await writeFile(join(o.out, 'options.json'), JSON.stringify({ ...o, resume: undefined, maxSteps: undefined }, null, 2));

  const targets = o.attentionTargets ? { detections: loadDetectionsFile(o.attentionTargets), threshold: o.targetThreshold, grid: cache.index.grid } : undefined;
  const { examples, dropped, grounded } = buildExamples(trainItems, cache.rows, vocab, o.maxLength, targets);
  if (targets) log(`attention targets: ${grounded} grounded words (detector score ≥ ${o.targetThreshold}) in ${examples.filter((e) => e.targets?.length).length} captions, μ = ${o.mu} on ${o.supervise === 'focus' ? 'the focus maps' : 'α_t'}`);
  const config: DecoderConfig = defaultConfig({
    attention: o.attention,
    vocabSize: vocab.size,
    embedDim: init?.config.embedDim ?? o.embedDim,
    hiddenDim: init?.config.hiddenDim ?? o.hiddenDim,
    attentionDim: init?.config.attentionDim ?? o.attentionDim,
    featureDim: cache.index.dim,
    grid: cache.index.grid,
    dropout: o.dropout,
    maxLength: o.maxLength,
    encoder: { id: cache.index.encoderId, sha256: cache.index.sha256, inputSize: cache.index.inputSize },
    trained: true,
    // Words added by vocabulary expansion stay said only with support in the fine-tuned model.
    ...(init?.config.supportedOnly ? { supportedOnly: init.config.supportedOnly } : {}),
  });
  const L = config.grid.h * config.grid.w;
  const rowSize = L * config.featureDim;
  log(`train: ${examples.length} captions of ${trainItems.length} images (${dropped} longer than ${o.maxLength} words dropped), dev ${devItems.length} images, vocabulary ${vocab.size}, grid ${config.grid.h}x${config.grid.w}x${config.featureDim}, ${o.attention} attention, backend ${backend}, ${o.workers} workers`);

  // ---- parameters and optimizer, fresh or resumed ----
  const { total } = paramLayout(config);
  const paramsShared = new SharedArrayBuffer(total * 4);
  const params = new Float32Array(paramsShared);
  const adam = new Adam(total, { lr: o.lr, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
  let state: TrainState = { epoch: 0, batchIndex: 0, step: 0, adamT: 0, baseline: null, bestBleu4: -1, bestEpoch: -1, badEpochs: 0, elapsedSec: 0, captionsSeen: 0, finished: false };
  if (o.resume && hasCheckpoint(ckptDir)) {
    state = await loadCheckpoint(ckptDir, [params, adam.m, adam.v]);
    adam.t = state.adamT;
    log(`resumed ${ckptDir}: epoch ${state.epoch + 1}, batch ${state.batchIndex}, step ${state.step}`);
  } else if (init) {
    params.set(init.params);
    log(`initialised from ${o.initFrom}`);
  } else initParams(config, mulberry32(deriveSeed(o.seed, 0xbeef)), params);
  if (state.finished) {
    log(`${o.out}: training already finished (best dev ${o.selectBy} ${((state.bestScore ?? state.bestBleu4) * 100).toFixed(2)} at epoch ${state.bestEpoch + 1})`);
    return { state, bestDir };
  }

  // ---- workers ----
  const workers: GradWorker[] = [];
  const grads: Float32Array[] = [];
  for (let w = 0; w < o.workers; w++) {
    const g = new SharedArrayBuffer(total * 4);
    grads.push(new Float32Array(g));
    workers.push(await GradWorker.start({ config, vocab: vocab.toJSON(), params: paramsShared, grad: g, features: cache.shared, backend: o.backend }));
  }
  const grad = new Float32Array(total);

  // Self-critical training: rewards are CIDEr-D against each training image's references, with
  // document frequencies from the whole training set (Rennie et al. 2017).
  const scst = o.objective === 'scst';
  const trainRows = Int32Array.from(trainItems, (it) => cache.rows.get(it.image)!);
  const scorer = scst ? new CiderD(trainItems.map((it) => it.captions.map(normalize))) : undefined;

  const devEval: EvalItem[] = devItems.map((it) => {
    const row = cache.rows.get(it.image)!;
    const half = new Uint16Array(cache.shared, row * rowSize * 2, rowSize);
    return { image: it.image, features: () => decodeHalf(half), references: it.captions.map(normalize) };
  });

  let stopRequested = false;
  const onSignal = (sig: string) => {
    if (stopRequested) process.exit(130);
    stopRequested = true;
    log(`\n${sig}: finishing the current step, then writing a checkpoint (again to quit at once)`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const logPath = join(o.out, 'log.jsonl');
  const checkpoint = async () => {
    state.adamT = adam.t;
    await saveCheckpoint(ckptDir, state, [params, adam.m, adam.v]);
    // the checkpoint's parameters as a decoder too, to evaluate or ship a run cut off mid-epoch
    await saveDecoder(join(o.out, 'latest'), { config, vocab, params, card: { epoch: state.epoch, batchIndex: state.batchIndex, step: state.step, initFrom: o.initFrom } }, 'float32');
  };
  const lossCurve: CurvePoint[] = [];
  const bleuCurve: CurvePoint[] = [];
  if (existsSync(logPath))
    for (const line of readFileSync(logPath, 'utf8').split('\n').filter(Boolean)) {
      const r = JSON.parse(line) as { type: string; epochFloat: number; loss?: number; bleu4?: number };
      if (r.type === 'train' && r.loss !== undefined) lossCurve.push({ x: r.epochFloat, y: r.loss });
      if (r.type === 'dev' && r.bleu4 !== undefined) bleuCurve.push({ x: r.epochFloat, y: r.bleu4 * 100 });
    }

  /** Greedy dev scores of the current parameters, logged and plotted at `epochFloat`. */
  const devScores = async (epochFloat: number) => {
    const decoder = new Decoder(config, vocab, params.slice());
    const { scores } = await evaluateDecoder(decoder, devEval, { maxLength: o.maxLength, progress: '  dev greedy' });
    decoder.dispose();
    await appendFile(logPath, JSON.stringify({ type: 'dev', epoch: epochFloat, epochFloat, step: state.step, beam: 1, lr: currentLr(o, state, epochFloat), ...withoutPerItem(scores), time: new Date().toISOString() }) + '\n');
    bleuCurve.push({ x: epochFloat, y: scores.bleu4 * 100 });
    await writeFile(join(o.out, 'curve.svg'), curveSvg(lossCurve, bleuCurve, `${o.attention} attention: training loss and dev BLEU-4`));
    log(`epoch ${epochFloat}: dev (greedy) ${formatScores(scores)}`);
    return scores;
  };
  // Fine-tuning starts from a trained model: its dev score is the one to beat, so a run that
  // only gets worse ships the starting point, not its first epoch.
  if (init && state.step === 0 && state.bestScore === undefined) {
    const scores = await devScores(0);
    afterDevScore(o, state, -1, scores[o.selectBy]);
    state.bestBleu4 = scores.bleu4;
    await saveDecoder(bestDir, { config, vocab, params, card: { epoch: 0, step: 0, selectBy: o.selectBy, initFrom: o.initFrom, devGreedy: withoutPerItem(scores) } }, 'float32');
  }

  let lastCkpt = Date.now();
  const sessionStart = Date.now();
  const startElapsed = state.elapsedSec;
  try {
    for (; state.epoch < o.epochs; state.epoch++, state.batchIndex = 0) {
      const epochRng = mulberry32(deriveSeed(o.seed, state.epoch));
      // XE: batches of captions of equal length; SCST: batches of images (K samples each).
      const batches = scst ? imageBatches(trainItems.length, o.batchSize, epochRng) : makeBatches(examples, o.batchSize, epochRng);
      const units = scst ? trainItems.length : examples.length;
      let done = batches.slice(0, state.batchIndex).reduce((s, b) => s + b.length, 0);
      const bar = new ProgressBar(`epoch ${state.epoch + 1}/${o.epochs}${scst ? ' (self-critical)' : ''}`, units, scst ? 'images' : 'captions', process.stderr, done);
      let window = { nll: 0, reg: 0, tokens: 0, captions: 0, steps: 0, reward: 0, greedy: 0, grounded: 0, attn: 0, mass: 0, t0: Date.now() };
      for (; state.batchIndex < batches.length; state.batchIndex++) {
        if (stopRequested || (o.maxSteps !== undefined && state.step >= o.maxSteps)) break;
        const ids = batches[state.batchIndex];
        const B = ids.length;
        const lr = currentLr(o, state, state.epoch + done / units);
        if (scst) {
          const st = await selfCriticalStep(workers, grads, grad, scorer!, vocab.words, { rows: Int32Array.from(ids, (i) => trainRows[i]), refs: Int32Array.from(ids) }, {
            samples: o.scstSamples, baseline: o.scstBaseline, maxLength: o.maxLength, seed: deriveSeed(o.seed, state.step, 0x5c57), regScalePerCaption: o.lambda / L, chunk: 48,
          });
          clipGlobalNorm(grad, o.clip);
          adam.step(params, grad, lr);
          window.nll += st.nllSum;
          window.reg += st.regSum;
          window.tokens += st.tokens;
          window.captions += st.captions;
          window.reward += st.rewardMean * B;
          window.greedy += (st.greedyMean ?? 0) * B;
        } else {
          const T = examples[ids[0]].tokens.length - 1;
          const stepRng = mulberry32(deriveSeed(o.seed, state.step, 0x5a));
          const hard = o.attention === 'hard';
          const groundedInBatch = batchRegions(ids.map((id) => examples[id]), T, L)?.grounded ?? 0;
          const base = {
            attnScale: groundedInBatch ? o.mu / groundedInBatch : undefined, // μ per grounded word of the whole batch
            supervise: o.supervise,
            sampled: hard && useSampledLocations(stepRng),
            dropout: o.dropout,
            tokenScale: 1 / (B * T),
            regScale: o.lambda / (B * L),
            reinforce: hard ? { weight: o.reinforceWeight, entropy: o.entropy, baseline: state.baseline ?? 0 } : undefined,
          };
          const shards = workers.map((_, w) => ids.slice(Math.floor((w * B) / workers.length), Math.floor(((w + 1) * B) / workers.length)));
          const stats = await Promise.all(
            shards.map((shard, w) => {
              if (!shard.length) return undefined;
              const tokens = new Int32Array(shard.length * (T + 1));
              shard.forEach((id, k) => tokens.set(examples[id].tokens, k * (T + 1)));
              const regions = batchRegions(shard.map((id) => examples[id]), T, L)?.regions;
              return workers[w].step({ rows: Int32Array.from(shard, (id) => examples[id].row), tokens, regions, B: shard.length, T, opts: { ...base, seed: deriveSeed(o.seed, state.step, w + 1) } });
            }),
          );
          grad.fill(0);
          shards.forEach((s, w) => {
            if (!s.length) return;
            const g = grads[w];
            for (let i = 0; i < total; i++) grad[i] += g[i];
          });
          clipGlobalNorm(grad, o.clip);
          adam.step(params, grad, lr);
          const st = stats.filter((s) => s !== undefined);
          const rewardMean = st.reduce((s, x) => s + x.rewardSum, 0) / B;
          if (hard && base.sampled) state.baseline = movingAverage(state.baseline, rewardMean);
          for (const s of st) {
            window.nll += s.nllSum;
            window.reg += s.regSum;
            window.tokens += s.tokens;
            window.captions += s.captions;
            window.grounded += s.grounded;
            window.attn += s.attnSum;
            window.mass += s.massSum;
          }
        }
        window.steps++;
        state.step++;
        state.captionsSeen += scst ? window.captions : B;
        done += B;
        const loss = window.nll / Math.max(window.tokens, 1);
        bar.update(done, scst ? `reward ${((window.reward / Math.max(window.steps * B, 1)) * 100).toFixed(1)}` : `loss ${loss.toFixed(3)}`);
        if (window.steps >= (scst ? 10 : 50) || state.batchIndex === batches.length - 1) {
          const secs = (Date.now() - window.t0) / 1000;
          const epochFloat = state.epoch + done / units;
          const images = scst ? window.captions / o.scstSamples : undefined;
          const rec = {
            type: 'train', epoch: state.epoch + 1, epochFloat, step: state.step, loss, reg: (o.lambda * window.reg) / (window.captions * L), captionsPerSec: window.captions / secs, lr: currentLr(o, state, epochFloat), baseline: state.baseline,
            ...(window.grounded ? { groundedWords: window.grounded, attnCorrectness: window.attn / window.grounded, massInRegion: window.mass / window.grounded } : {}),
            ...(scst && images ? { objective: 'scst', rewardCiderD: window.reward / images, greedyCiderD: o.scstBaseline === 'greedy' ? window.greedy / images : undefined, imagesPerSec: images / secs } : {}),
            time: new Date().toISOString(),
          };
          await appendFile(logPath, JSON.stringify(rec) + '\n');
          lossCurve.push({ x: epochFloat, y: loss });
          window = { nll: 0, reg: 0, tokens: 0, captions: 0, steps: 0, reward: 0, greedy: 0, grounded: 0, attn: 0, mass: 0, t0: Date.now() };
        }
        if (Date.now() - lastCkpt > o.checkpointMinutes * 60_000) {
          state.batchIndex++;
          state.elapsedSec = startElapsed + (Date.now() - sessionStart) / 1000;
          await checkpoint();
          state.batchIndex--;
          lastCkpt = Date.now();
        }
      }
      if (state.batchIndex < batches.length) break; // stopped early (signal or maxSteps)

      // ---- end of epoch: dev score, best model, early stopping ----
      const scores = await devScores(state.epoch + 1);
      const score = scores[o.selectBy];
      const verdict = afterDevScore(o, state, state.epoch, score);
      if (verdict.improved) {
        state.bestBleu4 = scores.bleu4;
        await saveDecoder(bestDir, { config, vocab, params, card: { epoch: state.epoch + 1, step: state.step, selectBy: o.selectBy, devGreedy: withoutPerItem(scores) } }, 'float32');
        log(`  new best (${o.selectBy} ${(score * 100).toFixed(2)}), saved to ${bestDir}`);
      }
      if (verdict.lrDecayedTo !== undefined) log(`  no better dev ${o.selectBy} for ${o.lrPatience} epoch(s): learning rate → ${verdict.lrDecayedTo.toExponential(2)}`);
      state.elapsedSec = startElapsed + (Date.now() - sessionStart) / 1000;
      if (verdict.stop) {
        log(`early stopping: no dev ${o.selectBy} improvement for ${o.patience} epochs (best ${((state.bestScore ?? 0) * 100).toFixed(2)} at epoch ${state.bestEpoch + 1})`);
        state.epoch++;
        state.batchIndex = 0;
        state.finished = true;
        break;
      }
      // the checkpoint records the start of the next epoch
      state.epoch++;
      state.batchIndex = 0;
      await checkpoint();
      state.epoch--;
      lastCkpt = Date.now();
    }
    if (state.epoch >= o.epochs) state.finished = true;
    state.elapsedSec = startElapsed + (Date.now() - sessionStart) / 1000;
    await checkpoint();
    log(`${state.finished ? 'finished' : 'stopped'} at epoch ${state.epoch + 1}, batch ${state.batchIndex}, step ${state.step}; elapsed ${formatDuration(state.elapsedSec)}; checkpoint in ${ckptDir}`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await Promise.all(workers.map((w) => w.stop()));
  }
  return { state, bestDir };
}

/** An epoch's image batches for self-critical training (indices into the training items). */
function imageBatches(n: number, batchSize: number, rng: () => number): number[][] {
  const ids = shuffleInPlace(Array.from({ length: n }, (_, i) => i), rng);
  const out: number[][] = [];
  for (let i = 0; i < n; i += batchSize) out.push(ids.slice(i, i + batchSize));
  return out;
}

function withoutPerItem<T extends { perItem: unknown }>(s: T): Omit<T, 'perItem'> {
  const { perItem: _, ...rest } = s;
  return rest;
}
