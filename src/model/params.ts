import type { DecoderConfig } from './config.ts';

/**
 * The decoder's parameters, named after the paper (Xu et al. 2015, section 3.1.2).
 * All of them live in one Float32Array so that training workers can share it and the
 * optimizer can treat it as a single vector. Soft and hard attention use the same layout.
 */
export interface ParamSpec {
  name: ParamName;
  shape: number[];
  offset: number;
  size: number;
}

export const PARAM_NAMES = [
  'embed', //          E        [V, m]       word embedding
  'initH', //          f_init,h [D, n]       h0 = tanh(mean_i(a_i) W + b)
  'initHb',
  'initC', //          f_init,c [D, n]       c0 = tanh(mean_i(a_i) W + b)
  'initCb',
  'attFeat', //        W_a      [D, k]       attention MLP, image part (precomputed once per image)
  'attFeatB',
  'attHid', //         W_h      [n, k]       attention MLP, hidden part
  'attV', //           w        [k, 1]       e_ti = w^T tanh(W_a a_i + W_h h_{t-1})
  'beta', //           W_beta   [n, 1]       beta_t = sigmoid(W_beta h_{t-1} + b)
  'betaB',
  'lstmEmb', //        LSTM input weights for E y_{t-1}   [m, 4n]
  'lstmCtxHid', //     LSTM weights for [z_t; h_{t-1}]    [D+n, 4n]   (gate order i, f, o, g)
  'lstmB',
  'outH', //           L_h      [n, m]       deep output layer
  'outHb',
  'outZ', //           L_z      [D, m]
  'outW', //           L_o      [m, V]
  'outB',
] as const;
export type ParamName = (typeof PARAM_NAMES)[number];

export function paramShapes(c: DecoderConfig): Record<ParamName, number[]> {
  const { vocabSize: V, embedDim: m, hiddenDim: n, attentionDim: k, featureDim: D } = c;
  return {
    embed: [V, m],
    initH: [D, n],
    initHb: [n],
    initC: [D, n],
    initCb: [n],
    attFeat: [D, k],
    attFeatB: [k],
    attHid: [n, k],
    attV: [k, 1],
    beta: [n, 1],
    betaB: [1],
    lstmEmb: [m, 4 * n],
    lstmCtxHid: [D + n, 4 * n],
    lstmB: [4 * n],
    outH: [n, m],
    outHb: [m],
    outZ: [D, m],
    outW: [m, V],
    outB: [V],
  };
}

export function paramLayout(c: DecoderConfig): { specs: ParamSpec[]; total: number } {
  const shapes = paramShapes(c);
  let offset = 0;
  const specs = PARAM_NAMES.map((name) => {
    const shape = shapes[name];
    const size = shape.reduce((a, b) => a * b, 1);
    const spec = { name, shape, offset, size };
    offset += size;
    return spec;
  });
  return { specs, total: offset };
}

/** A view of one parameter inside the flat vector. */
export function view(flat: Float32Array, spec: ParamSpec): Float32Array {
  return flat.subarray(spec.offset, spec.offset + spec.size);
}

/**
 * Initialisation: uniform(-0.1, 0.1) for embeddings and attention vector (as in arctic-captions),
 * Glorot-uniform for matrices, zero biases except the LSTM forget gate (1, to help gradients flow early).
 */
export function initParams(c: DecoderConfig, rng: () => number, into?: Float32Array): Float32Array {
  const { specs, total } = paramLayout(c);
  const flat = into ?? new Float32Array(total);
  const n = c.hiddenDim;
  for (const s of specs) {
    const v = view(flat, s);
    if (s.shape.length === 1) {
      v.fill(0);
      if (s.name === 'lstmB') v.subarray(n, 2 * n).fill(1);
      continue;
    }
    const limit = s.name === 'embed' ? 0.1 : Math.sqrt(6 / (s.shape[0] + s.shape[1]));
    for (let i = 0; i < v.length; i++) v[i] = (rng() * 2 - 1) * limit;
  }
  return flat;
}
