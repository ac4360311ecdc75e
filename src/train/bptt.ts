import * as tf from '../runtime/tf.ts';
import type { DecoderConfig } from '../model/config.ts';
import { paramLayout, view, type ParamName } from '../model/params.ts';
import { attention, bannedLogits, embed, glimpse, initState, lstmStep, outputHidden, outputLogprobs, wordGates } from '../model/decoder.ts';
import { sampleLocations, type ParamTensors } from '../model/tfjs-decoder.ts';
import { stepRegions, type CaptionBatch, type LossOptions } from '../model/loss.ts';
import { likelihoodRewards, locationAdvantage } from '../model/reinforce.ts';
import { matMulTA as tmm } from '../runtime/backend.ts';
import { tfOps } from '../model/tfjs-ops.ts';
import { PAD_ID } from '../data/vocab.ts';
import { mulberry32 } from '../util/rng.ts';
import { focusTerm } from './focus-term.ts';

/**
 * The gradient of the training objective (src/model/loss.ts; equations in src/model/decoder.ts)
 * by a teacher-forced forward pass and a hand-written backward pass (BPTT), on a batch of
 * captions that all have the same length, or are padded with <pad> after <end> (masked).
 * The fast path of training; test/train/bptt.test.ts checks every gradient against tfjs
 * autograd of the model's loss.
 *
 * Why by hand: tfjs autograd on wasm spends most of its time in transposed matMuls and has
 * no gradient kernel for gather; writing the backward pass explicitly lets every weight
 * gradient be one large matMul over all time steps, and keeps the recurrent loop small. The
 * forward pass is the model's own equation functions (src/model/decoder.ts on tfOps), called
 * in the layout that needs: the input-word gates and the deep output layer for all steps at
 * once, the recurrence step by step keeping the intermediates the backward pass reads, and
 * the training-only dropout on h_t and on the deep output's tanh in between.
 */
export interface GradOptions extends LossOptions {
  dropout: number; // drop probability in the output layer; 0 disables
}

export interface GradStats {
  nllSum: number; // -Σ log p(y_t) over this batch's (unpadded) tokens
  regSum: number; // Σ_b Σ_i (1 - Σ_t α_ti)^2
  rewardSum: number; // Σ_b mean_t log p(y_t)  (REINFORCE reward, per caption)
  tokens: number;
  captions: number;
  grounded: number; // words with a target region (batch.regions)
  attnSum: number; // Σ −log(mass in region) over them, of the supervised map (α_t or the focus map)
  massSum: number; // Σ mass in region over them
}

export function computeGradients(
  cfg: DecoderConfig,
  p: ParamTensors,
  batch: CaptionBatch,
  opts: GradOptions,
  gradOut: Float32Array,
): GradStats {
  const { B, T } = batch;
  const L = cfg.grid.h * cfg.grid.w;
  const D = cfg.featureDim;
  const H = cfg.hiddenDim;
  const M = cfg.embedDim;
  const A = cfg.attentionDim;
  const V = cfg.vocabSize;
  const N = T * B;
  const hard = cfg.attention === 'hard';
  const sampled = hard && opts.sampled;
  const rng = mulberry32(opts.seed);
  const mm = (a: tf.Tensor, b: tf.Tensor) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D);
  const T2 = (a: tf.Tensor) => tf.transpose(a);

  // Time-major token ids: row t*B + b.
  const inIds = new Int32Array(N);
  const outIds = new Int32Array(N);
  for (let t = 0; t < T; t++)
    for (let b = 0; b < B; b++) {
      inIds[t * B + b] = batch.tokens[b * (T + 1) + t];
      outIds[t * B + b] = batch.tokens[b * (T + 1) + t + 1];
    }

  // tokenMask[t*B + b] = 0 on padding (target <pad>), which is never a real target.
  const tokenMask = Float32Array.from(outIds, (y) => (y === PAD_ID ? 0 : 1));
  const padded = tokenMask.includes(0);
  const lengths = new Float32Array(B); // predicted tokens per caption
  for (let k = 0; k < N; k++) lengths[k % B] += tokenMask[k];
  if (lengths.includes(0)) throw new Error('a caption has no tokens to predict');
  const rowWeight = new Float32Array(N); // mask × w_b
  for (let k = 0; k < N; k++) rowWeight[k] = tokenMask[k] * (opts.captionWeights ? opts.captionWeights[k % B] : 1);
  const weighted = padded || opts.captionWeights !== undefined;

  const stats: GradStats = { nllSum: 0, regSum: 0, rewardSum: 0, tokens: tokenMask.reduce((a, b) => a + b, 0), captions: B, grounded: 0, attnSum: 0, massSum: 0 };
  let dEyData: Float32Array = new Float32Array(0);

  const grads = tf.tidy(() => {
    const a = tf.tensor3d(batch.features, [B, L, D]);
    const aFlat = a.reshape([B * L, D]);
    const meanA = a.mean(1);
    // P, the image part of the attention MLP, is computed once for all steps.
    const { P, h: h0, c: c0 } = initState(tfOps, p, a);
    const Ey = embed(tfOps, p, tf.tensor1d(inIds, 'int32')); // [N, M], all steps
    // input-word part of the LSTM, all steps at once
    const Xe = tf.unstack(wordGates(tfOps, p, Ey).reshape([T, B, 4 * H]));

    const v = p.attV.reshape([1, 1, A]);
    const saved: {
      hPrev: tf.Tensor; cPrev: tf.Tensor; u: tf.Tensor; alpha: tf.Tensor; ctx: tf.Tensor; beta: tf.Tensor;
      zh: tf.Tensor; i: tf.Tensor; f: tf.Tensor; o: tf.Tensor; g: tf.Tensor; tc: tf.Tensor; sample?: tf.Tensor;
    }[] = [];
    let h: tf.Tensor = h0;
    let c: tf.Tensor = c0;
    for (let t = 0; t < T; t++) {
      const { u, alpha } = attention(tfOps, p, P, h); // u [B, L, A]
      const sample = sampled ? sampleLocations(alpha as tf.Tensor2D, rng) : undefined;
      const { ctx, beta, z } = glimpse(tfOps, p, a, h, sample ?? alpha);
      const { h: hNew, c: cNew, ...gates } = lstmStep(tfOps, p, Xe[t], z, h, c);
      saved.push({ hPrev: h, cPrev: c, u, alpha, ctx, beta, sample, ...gates });
      h = hNew;
      c = cNew;
    }

    // Deep output layer for all steps at once.
    const Hall = tf.concat(saved.map((s, t) => (t + 1 < T ? saved[t + 1].hPrev : h)), 0); // h_1..h_T
    const Zall = tf.concat(saved.map((s) => s.zh.slice([0, 0], [B, D])), 0);
    const keep = 1 - opts.dropout;
    const mask = (shape: number[], salt: number) =>
      opts.dropout > 0 ? tf.randomUniform(shape, 0, 1, 'float32', opts.seed + salt).less(keep).toFloat().div(keep) : tf.ones(shape);
    const mh = mask([N, H], 1);
    const Hd = Hall.mul(mh);
    const q = outputHidden(tfOps, p, Ey, Hd, Zall);
    const mq = mask([N, M], 2);
    const qd = q.mul(mq);
    const logp = outputLogprobs(tfOps, p, qd, tf.tensor1d(bannedLogits(V)));
    const onehot = tf.oneHot(tf.tensor1d(outIds, 'int32'), V).toFloat();
    const tokenLogp = logp.mul(onehot).sum(1); // [N]
    const tl = tokenLogp.dataSync();
    const reward = likelihoodRewards(tl, tokenMask, lengths);
    for (let k = 0; k < N; k++) stats.nllSum -= tokenMask[k] * tl[k];
    // Per-step [B, 1] masks (padding), used only when a batch is padded.
    const stepMask = padded ? Array.from({ length: T }, (_, t) => tf.tensor2d(tokenMask.subarray(t * B, (t + 1) * B), [B, 1])) : undefined;
    for (let b = 0; b < B; b++) stats.rewardSum += reward[b];

    // Doubly stochastic regularisation: penalise regions whose total attention is not 1.
    const S = tf.addN(saved.map((s, t) => (stepMask ? s.alpha.mul(stepMask[t]) : s.alpha)));
    const oneMinusS = tf.scalar(1).sub(S);
    stats.regSum = oneMinusS.square().sum().dataSync()[0];
    const dAlphaReg = oneMinusS.mul(-2 * opts.regScale); // [B, L], same for every t

    // ---- backward: output layer ----
    let dLogits = logp.exp().sub(onehot).mul(opts.tokenScale);
    if (weighted) dLogits = dLogits.mul(tf.tensor2d(rowWeight, [N, 1]));
    const gOutW = tmm(qd, dLogits);
    const gOutB = dLogits.sum(0);
    const dq = mm(dLogits, T2(p.outW)).mul(mq);
    const dqPre = dq.mul(tf.scalar(1).sub(q.square()));
    const gOutH = tmm(Hd, dqPre);
    const gOutHb = dqPre.sum(0);
    const gOutZ = tmm(Zall, dqPre);
    let dHout = mm(dqPre, T2(p.outH)).mul(mh); // [N, H]
    const dZout = mm(dqPre, T2(p.outZ)); // [N, D]
    let dEy = dqPre; // E y_{t-1} feeds the output layer directly

    // Attention correctness on the focus maps (supervise 'focus'): the output layer at every location of the grounded words.
    const acStats: tf.Tensor[] = []; // [3] per grounded step (or once, for focus): count, Σ −log mass, Σ mass
    const focus = opts.supervise === 'focus' && batch.regions ? focusInputs(batch.regions, tokenMask, outIds, B, T, L) : undefined;
    const fg = focus && focus.rows.length
      ? focusTerm(p, { ...focus, a, Ey, H: Hall, beta: tf.concat(saved.map((s) => s.beta), 0), alpha: tf.concat(saved.map((s) => s.alpha), 0), scale: opts.attnScale ?? 0, banned: tf.tensor1d(bannedLogits(V)) })
      : undefined;
    if (fg) {
      dHout = dHout.add(fg.dH);
      dEy = dEy.add(fg.dEy);
      acStats.push(fg.stats);
    }

    // REINFORCE for hard attention: ∂/∂e of -λ_r (r - b) log α_s is -λ_r (r - b)(onehot(s) - α).
    const rf = opts.reinforce;
    const advantage = rf && sampled ? tf.tensor2d(reward.map((r) => locationAdvantage(r, rf) * opts.tokenScale), [B, 1]) : undefined;

    // ---- backward through time ----
    const WzhT = T2(p.lstmCtxHid);
    const WbetaT = T2(p.beta);
    const WattHidT = T2(p.attHid);
    let dh = tf.zeros([B, H]);
    let dc = tf.zeros([B, H]);
    let dP = tf.zeros([B, L, A]);
    let dV = tf.zeros([B, 1, A]);
    const dGates: tf.Tensor[] = new Array(T);
    const dHp: tf.Tensor[] = new Array(T);
    const dBetaPre: tf.Tensor[] = new Array(T);
    const one = tf.scalar(1);
    for (let t = T - 1; t >= 0; t--) {
      const s = saved[t];
      const dhT = dh.add(dHout.slice([t * B, 0], [B, H]));
      const dcT = dc.add(dhT.mul(s.o).mul(one.sub(s.tc.square())));
      const dI = dcT.mul(s.g).mul(s.i).mul(one.sub(s.i));
      const dF = dcT.mul(s.cPrev).mul(s.f).mul(one.sub(s.f));
      const dO = dhT.mul(s.tc).mul(s.o).mul(one.sub(s.o));
      const dG = dcT.mul(s.i).mul(one.sub(s.g.square()));
      const dg = tf.concat([dI, dF, dO, dG], 1);
      dGates[t] = dg;
      dc = dcT.mul(s.f);
      const dzh = mm(dg, WzhT);
      const dz = dzh.slice([0, 0], [B, D]).add(dZout.slice([t * B, 0], [B, D]));
      let dhPrev = dzh.slice([0, D], [B, H]);
      // z = β ctx
      let dBeta = dz.mul(s.ctx).sum(1, true);
      if (fg) dBeta = dBeta.add(fg.dBeta.slice([t * B, 0], [B, 1]));
      const dCtx = dz.mul(s.beta);
      const dbp = dBeta.mul(s.beta).mul(one.sub(s.beta));
      dBetaPre[t] = dbp;
      dhPrev = dhPrev.add(mm(dbp, WbetaT));
      // ctx = Σ_i α_i a_i: pathwise gradient only when α itself weighted the context.
      let dAlpha: tf.Tensor = stepMask ? dAlphaReg.mul(stepMask[t]) : dAlphaReg;
      if (!s.sample) dAlpha = dAlpha.add(tf.matMul(a, dCtx.reshape([B, D, 1])).reshape([B, L]));
      // Attention correctness −attnScale Σ_b g_b log m_b, m_b = Σ_{i∈R} α_bi: ∂/∂α_bi = −attnScale g_b R_bi / m_b.
      if (batch.regions && opts.supervise !== 'focus') {
        const { region, grounded } = stepRegions(batch.regions, B, T, L, t);
        for (let b = 0; b < B; b++) grounded[b] *= tokenMask[t * B + b];
        if (grounded.includes(1)) {
          const R = tf.tensor2d(region, [B, L]);
          const g = tf.tensor2d(grounded, [B, 1]);
          const mass = s.alpha.mul(R).sum(1, true).add(one.sub(g)); // ungrounded rows: 1 (log 0 → 0)
          acStats.push(tf.stack([g.sum(), mass.log().mul(g).sum().neg(), mass.mul(g).sum()]));
          if (opts.attnScale) dAlpha = dAlpha.add(R.mul(g.div(mass)).mul(-opts.attnScale));
        }
      }
      // softmax backward
      let de = s.alpha.mul(dAlpha.sub(s.alpha.mul(dAlpha).sum(1, true)));
      if (fg) de = de.add(fg.dE.slice([t * B, 0], [B, L]));
      let dePolicy: tf.Tensor | undefined; // REINFORCE on the locations and the entropy bonus
      if (s.sample && advantage) dePolicy = s.sample.sub(s.alpha).mul(advantage).neg();
      if (rf && hard && rf.entropy > 0) {
        // maximise entropy H = -Σ α log α: ∂(-λ_e H)/∂e = λ_e α (log α + H)
        const logA = s.alpha.add(1e-12).log();
        const ent = s.alpha.mul(logA).sum(1, true).neg();
        const dEnt = s.alpha.mul(logA.add(ent)).mul(rf.entropy * opts.tokenScale);
        dePolicy = dePolicy ? dePolicy.add(dEnt) : dEnt;
      }
      if (dePolicy) de = de.add(stepMask ? dePolicy.mul(stepMask[t]) : dePolicy);
      // e = w^T tanh(pre)
      const de3 = de.reshape([B, L, 1]);
      dV = dV.add(tf.matMul(de.reshape([B, 1, L]), s.u as tf.Tensor3D)); // Σ_i de_bi u_bi, batched (no transpose)
      const dPre = de3.mul(v).mul(one.sub(s.u.square())); // [B, L, A]
      dP = dP.add(dPre);
      const dhp = dPre.sum(1); // [B, A]
      dHp[t] = dhp;
      dhPrev = dhPrev.add(mm(dhp, WattHidT));
      dh = dhPrev;
    }

    if (acStats.length) [stats.grounded, stats.attnSum, stats.massSum] = tf.addN(acStats).dataSync();

    const dGatesAll = tf.concat(dGates, 0); // [N, 4H], time-major like everything else
    const ZHall = tf.concat(saved.map((s) => s.zh), 0);
    const HprevAll = tf.concat(saved.map((s) => s.hPrev), 0);
    const gLstmCtxHid = tmm(ZHall, dGatesAll);
    const gLstmB = dGatesAll.sum(0);
    const gLstmEmb = tmm(Ey, dGatesAll);
    dEy = dEy.add(mm(dGatesAll, T2(p.lstmEmb)));
    const dHpAll = tf.concat(dHp, 0);
    const gAttHid = tmm(HprevAll, dHpAll);
    const dBetaPreAll = tf.concat(dBetaPre, 0);
    const gBeta = tmm(HprevAll, dBetaPreAll);
    const gBetaB = dBetaPreAll.sum(0);
    const dh0 = dh.mul(one.sub(h0.square()));
    const dc0 = dc.mul(one.sub(c0.square()));
    const gInitH = tmm(meanA, dh0);
    const gInitHb = dh0.sum(0);
    const gInitC = tmm(meanA, dc0);
    const gInitCb = dc0.sum(0);
    const dPflat = dP.reshape([B * L, A]);
    const gAttFeat = tmm(aFlat, dPflat);
    const gAttFeatB = dPflat.sum(0);
    dEyData = dEy.dataSync() as Float32Array;

    const plus = (g: tf.Tensor, name: 'outW' | 'outB' | 'outH' | 'outHb' | 'outZ') => (fg ? g.add(fg[name]) : g);
    return {
      initH: gInitH, initHb: gInitHb, initC: gInitC, initCb: gInitCb,
      attFeat: gAttFeat, attFeatB: gAttFeatB, attHid: gAttHid, attV: dV.sum(0).reshape([A, 1]),
      beta: gBeta, betaB: gBetaB,
      lstmEmb: gLstmEmb, lstmCtxHid: gLstmCtxHid, lstmB: gLstmB,
      outH: plus(gOutH, 'outH'), outHb: plus(gOutHb, 'outHb'), outZ: plus(gOutZ, 'outZ'), outW: plus(gOutW, 'outW'), outB: plus(gOutB, 'outB'),
    } satisfies Partial<Record<ParamName, tf.Tensor>>;
  });

  const { specs } = paramLayout(cfg);
  gradOut.fill(0);
  for (const s of specs) {
    if (s.name === 'embed') continue;
    const g = grads[s.name as Exclude<ParamName, 'embed'>];
    view(gradOut, s).set(g.dataSync() as Float32Array);
    g.dispose();
  }
  // Embedding gradient: scatter-add the rows of dEy (wasm has no kernel for gather's gradient).
  const gEmbed = view(gradOut, specs.find((s) => s.name === 'embed')!);
  for (let k = 0; k < N; k++) {
    const row = inIds[k] * M;
    for (let j = 0; j < M; j++) gEmbed[row + j] += dEyData[k * M + j];
  }
  return stats;
}

/** The grounded rows k = t·B + b of a batch (time-major; padded steps never), their words and target regions. */
function focusInputs(regions: Uint8Array, tokenMask: Float32Array, outIds: Int32Array, B: number, T: number, L: number) {
  const rows: number[] = [];
  const region: number[] = [];
  for (let t = 0; t < T; t++)
    for (let b = 0; b < B; b++) {
      const row = regions.subarray((b * T + t) * L, (b * T + t + 1) * L);
      if (!tokenMask[t * B + b] || !row.includes(1)) continue;
      rows.push(t * B + b);
      region.push(...row);
    }
  return { rows: Int32Array.from(rows), words: Int32Array.from(rows, (k) => outIds[k]), region: Float32Array.from(region) };
}
