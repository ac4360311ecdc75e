import t from 'tap';
import * as tf from '../../src/runtime/tf.ts';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs'; // registers autograd kernels (dev only; the trainer uses hand-written gradients)
import { defaultConfig, type DecoderConfig } from '../../src/model/config.ts';
import { initParams, paramLayout, view } from '../../src/model/params.ts';
import { paramTensors, type ParamTensors } from '../../src/model/tfjs-decoder.ts';
import { captionLoss, type Supervised } from '../../src/model/loss.ts';
import type { ReinforceOptions } from '../../src/model/reinforce.ts';
import { computeGradients } from '../../src/train/bptt.ts';
import { mulberry32 } from '../../src/util/rng.ts';

// The hand-written backward pass must equal tfjs autograd of the model's loss.
await tf.setBackend('cpu');

const cfg = (attention: 'soft' | 'hard'): DecoderConfig =>
  defaultConfig({
    attention, vocabSize: 11, embedDim: 6, hiddenDim: 5, attentionDim: 4, featureDim: 7, grid: { h: 2, w: 3 }, dropout: 0,
    encoder: { id: 'test', sha256: 'x', inputSize: 224 },
  });

async function check(name: string, c: DecoderConfig, sampled: boolean, reinforce?: ReinforceOptions, scst = false, supervised = false, supervise: Supervised = 'alpha') {
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
  // Attention correctness: some words have a target region, of one cell or several; padded steps never do.
  let regions: Uint8Array | undefined;
  if (supervised) {
    regions = new Uint8Array(B * T * L);
    const mark = (b: number, t: number, cells: number[]) => cells.forEach((i) => (regions![(b * T + t) * L + i] = 1));
    mark(0, 0, [1, 2]);
    mark(1, 1, [4]);
    mark(1, 3, [0, 3, 5]);
    mark(2, 2, [0, 1, 2, 3]);
  }
  const opts = { tokenScale: 1 / (B * T), regScale: 1 / (B * L), seed: 42, sampled, reinforce, captionWeights, attnScale: supervised ? 1.7 / 4 : undefined, supervise };
  const batch = { features, tokens: Int32Array.from(tokens.flat()), B, T, regions };
  const grad = new Float32Array(total);
  const stats = computeGradients(c, paramTensors(c, flat), batch, { ...opts, dropout: 0 }, grad);
  if (supervised) {
    t.equal(stats.grounded, 4, `${name}: four grounded words counted`);
    const without = new Float32Array(total);
    computeGradients(c, paramTensors(c, flat), { ...batch, regions: undefined }, { ...opts, dropout: 0 }, without);
    const change = Math.max(...grad.map((g, i) => Math.abs(g - without[i])));
    t.ok(change > 1e-3, `${name}: the term changes the gradient (max change ${change.toExponential(2)})`);
  }

  const vars = paramTensors(c, flat);
  const names = specs.map((s) => s.name);
  const f = (...xs: tf.Tensor[]) => {
    const p = Object.fromEntries(names.map((nm, k) => [nm, xs[k]])) as ParamTensors;
    return captionLoss(c, p, batch, opts);
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
await check('soft + attention correctness', cfg('soft'), false, undefined, false, true);
await check('hard/expected + attention correctness', cfg('hard'), false, { weight: 1, entropy: 0.01, baseline: -2 }, false, true);
await check('hard/sampled + attention correctness', cfg('hard'), true, { weight: 1, entropy: 0.01, baseline: -2 }, false, true);
await check('hard/sampled, padded + attention correctness', cfg('hard'), true, { weight: 1, entropy: 0.01, baseline: -2 }, true, true);
// The term on the focus maps p(s_t | y_t): its gradient also runs through the output layer at every location.
await check('soft + focus correctness', cfg('soft'), false, undefined, false, true, 'focus');
await check('hard/expected + focus correctness', cfg('hard'), false, { weight: 1, entropy: 0.01, baseline: -2 }, false, true, 'focus');
await check('hard/sampled, padded + focus correctness', cfg('hard'), true, { weight: 1, entropy: 0.01, baseline: -2 }, true, true, 'focus');
