// Single-thread speed of one gradient computation (forward + backward), no optimizer.
import * as tf from '../src/runtime/tf.ts';
import { initBackend } from '../src/runtime/backend.ts';
import { defaultConfig } from '../src/model/config.ts';
import { initParams } from '../src/model/params.ts';
import { paramTensors } from '../src/model/tfjs-decoder.ts';
import { computeGradients } from '../src/train/bptt.ts';
import { mulberry32 } from '../src/util/rng.ts';

const B = Number(process.env.B ?? 32), T = Number(process.env.T ?? 13), V = Number(process.env.V ?? 2540);
const backend = await initBackend();
const cfg = defaultConfig({ vocabSize: V, encoder: { id: 'x', sha256: 'x', inputSize: 224 }, attention: (process.env.ATT as 'soft') ?? 'soft' });
const rng = mulberry32(1);
const flat = initParams(cfg, rng);
const feats = Float32Array.from({ length: B * 49 * 1280 }, () => rng());
const tokens = Int32Array.from({ length: B * (T + 1) }, () => 4 + Math.floor(rng() * (V - 4)));
const grad = new Float32Array(flat.length);
const opts = { sampled: true, dropout: 0.5, seed: 1, tokenScale: 1 / (B * T), regScale: 1 / (B * 49), reinforce: { weight: 1, entropy: 0.002, baseline: -3 } };
for (let r = 0; r < 5; r++) {
  const t0 = performance.now();
  const p = paramTensors(cfg, flat);
  computeGradients(cfg, p, { features: feats, tokens, B, T }, { ...opts, seed: r }, grad);
  tf.dispose(Object.values(p));
  const ms = performance.now() - t0;
  console.log(`${backend} B=${B} T=${T}: ${ms.toFixed(0)} ms/step, ${((B * 1000) / ms).toFixed(1)} captions/s, tensors ${tf.memory().numTensors}`);
}
