import t from 'tap';
import * as tf from '../../src/runtime/tf.ts';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs'; // registers autograd kernels (dev only; the trainer uses hand-written gradients)
import { defaultConfig, type DecoderConfig } from '../../src/model/config.ts';
import { initParams, paramLayout, view, type ParamName } from '../../src/model/params.ts';
import { computeGradients, paramTensors } from '../../src/train/gradients.ts';
import { mulberry32, sampleIndex } from '../../src/util/rng.ts';

// The hand-written backward pass must equal tfjs autograd on a straightforward forward pass.
await tf.setBackend('cpu');

const cfg = (attention: 'soft' | 'hard'): DecoderConfig =>
  defaultConfig({
    attention, vocabSize: 11, embedDim: 6, hiddenDim: 5, attentionDim: 4, featureDim: 7, grid: { h: 2, w: 3 }, dropout: 0,
    encoder: { id: 'test', sha256: 'x', inputSize: 224 },
  });

/** Reference loss written directly from the equations, differentiated by tfjs. */
function referenceLoss(c: DecoderConfig, p: Record<ParamName, tf.Tensor>, feats: tf.Tensor3D, tokens: number[][], o: {
  tokenScale: number; regScale: number; seed: number; sampled: boolean; reinforce?: { weight: number; entropy: number; baseline: number };
  captionWeights?: Float32Array;
}): tf.Scalar {
  const [B, L, D] = feats.shape;
  const T = tokens[0].length - 1;
  const n = c.hiddenDim;
  const rng = mulberry32(o.seed);
  const meanA = feats.mean(1) as tf.Tensor2D;
  let h = tf.tanh(tf.matMul(meanA, p.initH as tf.Tensor2D).add(p.initHb)) as tf.Tensor2D;
  let cs = tf.tanh(tf.matMul(meanA, p.initC as tf.Tensor2D).add(p.initCb)) as tf.Tensor2D;
  const P = tf.matMul(feats.reshape([B * L, D]) as tf.Tensor2D, p.attFeat as tf.Tensor2D).add(p.attFeatB).reshape([B, L, -1]);
  let nll = tf.scalar(0);
  let alphaSum: tf.Tensor = tf.zeros([B, L]);
  const logPs: tf.Tensor[] = [];
  const stepLogPy: tf.Tensor[] = [];
  // <pad> targets (after <end>) are masked out of every term; w_b weights each caption's log-likelihood.
  const masks = Array.from({ length: T }, (_, t) => tf.tensor1d(tokens.map((r) => r[t + 1] === 0 ? 0 : 1)));
  const lengths = tokens.map((r) => r.slice(1).filter((x) => x !== 0).length);
  const w = tf.tensor1d(o.captionWeights ?? new Float32Array(B).fill(1));
  let entropy = tf.scalar(0);
  for (let t = 0; t < T; t++) {
    const prev = tf.tensor1d(tokens.map((r) => r[t]), 'int32');
    const next = tf.tensor1d(tokens.map((r) => r[t + 1]), 'int32');
    const Ey = tf.gather(p.embed, prev) as tf.Tensor2D;
    const u = P.add(tf.matMul(h, p.attHid as tf.Tensor2D).expandDims(1)).tanh();
    const e = u.mul(p.attV.reshape([1, 1, -1])).sum(2);
    const alpha = tf.softmax(e) as tf.Tensor2D;
    const m = masks[t];
    alphaSum = alphaSum.add(alpha.mul(m.expandDims(1)));
    let wts: tf.Tensor = alpha;
    if (c.attention === 'hard' && o.sampled) {
      const al = alpha.dataSync();
      const s = Array.from({ length: B }, (_, b) => sampleIndex(al, rng, b * L, L));
      wts = tf.oneHot(tf.tensor1d(s, 'int32'), L).toFloat();
      logPs.push(tf.log(alpha).mul(wts).sum(1).mul(m)); // log p(s_t | a), [B]
    }
    if (c.attention === 'hard' && o.reinforce) entropy = entropy.add(alpha.mul(tf.log(alpha)).sum(1).mul(m).sum().neg());
    const ctx = tf.matMul(wts.reshape([B, 1, L]) as tf.Tensor3D, feats).reshape([B, D]);
    const beta = tf.sigmoid(tf.matMul(h, p.beta as tf.Tensor2D).add(p.betaB));
    const z = ctx.mul(beta) as tf.Tensor2D;
    const gates = tf.matMul(Ey, p.lstmEmb as tf.Tensor2D).add(tf.matMul(tf.concat([z, h], 1), p.lstmCtxHid as tf.Tensor2D)).add(p.lstmB);
    const i = gates.slice([0, 0], [B, n]).sigmoid();
    const f = gates.slice([0, n], [B, n]).sigmoid();
    const og = gates.slice([0, 2 * n], [B, n]).sigmoid();
    const g = gates.slice([0, 3 * n], [B, n]).tanh();
    cs = f.mul(cs).add(i.mul(g)) as tf.Tensor2D;
    h = og.mul(cs.tanh()) as tf.Tensor2D;
    const q = Ey.add(tf.matMul(h, p.outH as tf.Tensor2D)).add(p.outHb).add(tf.matMul(z, p.outZ as tf.Tensor2D)).tanh() as tf.Tensor2D;
    const banned = new Float32Array(c.vocabSize);
    banned[0] = banned[1] = -1e9; // <pad>, <start> are never generated
    const logp = tf.logSoftmax(tf.matMul(q, p.outW as tf.Tensor2D).add(p.outB).add(tf.tensor1d(banned)));
    const lp = logp.mul(tf.oneHot(next, c.vocabSize).toFloat()).sum(1).mul(m); // [B]
    stepLogPy.push(lp);
    nll = nll.sub(lp.mul(w).sum());
  }
  let loss = nll.mul(o.tokenScale).add(tf.scalar(1).sub(alphaSum).square().sum().mul(o.regScale));
  if (o.reinforce && logPs.length) {
    const r = tf.addN(stepLogPy).div(tf.tensor1d(lengths)).dataSync();
    const adv = tf.tensor1d(Array.from(r, (x) => (x - o.reinforce!.baseline) * o.reinforce!.weight));
    loss = loss.sub(tf.addN(logPs).mul(adv).sum().mul(o.tokenScale));
  }
  if (o.reinforce && c.attention === 'hard') loss = loss.sub(entropy.mul(o.reinforce.entropy * o.tokenScale));
  return loss as tf.Scalar;
}

async function check(name: string, c: DecoderConfig, sampled: boolean, reinforce?: { weight: number; entropy: number; baseline: number }, scst = false) {
  const rng = mulberry32(7);
  const { specs, total } = paramLayout(c);
  const flat = initParams(c, rng);
  for (const s of specs) if (s.shape.length === 1) for (let i = 0; i < s.size; i++) flat[s.offset + i] = (rng() - 0.5) * 0.2;
  const B = 3, L = c.grid.h * c.grid.w, D = c.featureDim, T = 4;
  const features = Float32Array.from({ length: B * L * D }, () => rng());
  const tokens = Array.from({ length: B }, () => [1, ...Array.from({ length: T - 1 }, () => 3 + Math.floor(rng() * 8)), 2]);
  // SCST: sampled captions of different lengths, padded after <end>, each weighted by its advantage.
  if (scst) tokens[0].splice(2, 3, 2, 0, 0), tokens[2].splice(3, 2, 2, 0);
  const captionWeights = scst ? Float32Array.from([0.7, -1.3, 0.4]) : undefined;
  const opts = { tokenScale: 1 / (B * T), regScale: 1 / (B * L), seed: 42, sampled, reinforce, captionWeights };
  const grad = new Float32Array(total);
  computeGradients(c, paramTensors(c, flat), { features, tokens: Int32Array.from(tokens.flat()), B, T }, { ...opts, dropout: 0 }, grad);

  const vars = paramTensors(c, flat);
  const names = specs.map((s) => s.name);
  const f = (...xs: tf.Tensor[]) => {
    const p = Object.fromEntries(names.map((nm, k) => [nm, xs[k]])) as Record<ParamName, tf.Tensor>;
    return referenceLoss(c, p, tf.tensor3d(features, [B, L, D]), tokens, opts);
  };
  const ref = tf.grads(f)(names.map((nm) => vars[nm]));
  for (const [k, s] of specs.entries()) {
    const want = ref[k].dataSync();
    const got = view(grad, s);
    let maxDiff = 0, maxMag = 0;
    for (let i = 0; i < s.size; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(want[i] - got[i]));
      maxMag = Math.max(maxMag, Math.abs(want[i]));
    }
    t.ok(maxDiff <= 1e-5 + 1e-4 * maxMag, `${name}: d${s.name} matches autograd (max diff ${maxDiff.toExponential(2)}, max |g| ${maxMag.toExponential(2)})`);
  }
}

await check('soft', cfg('soft'), false);
await check('hard/expected', cfg('hard'), false, { weight: 1, entropy: 0.01, baseline: -2 });
await check('hard/sampled', cfg('hard'), true, { weight: 1, entropy: 0.01, baseline: -2 });
await check('soft/SCST (padded, advantage-weighted)', cfg('soft'), false, undefined, true);
await check('hard/sampled, padded', cfg('hard'), true, { weight: 1, entropy: 0.01, baseline: -2 }, true);
