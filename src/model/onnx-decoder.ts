// The decoder's equations (src/model/decoder.ts) as ONNX graphs, built in code from the same flat
// parameter vector at load time: nothing extra is shipped, and a retrained model needs no export.
import { PAD_ID, START_ID } from '../data/vocab.ts';
import { GraphBuilder } from '../runtime/onnx-builder.ts';
import type { DecoderConfig } from './config.ts';
import { paramLayout, view, type ParamName } from './params.ts';

function weights(config: DecoderConfig, flat: Float32Array, g: GraphBuilder): (name: ParamName) => string {
  const specs = new Map(paramLayout(config).specs.map((s) => [s.name, s]));
  const added = new Set<string>();
  return (name) => {
    const s = specs.get(name)!;
    const key = `w_${name}`; // apart from the graph's input/output names ('beta' is both)
    if (!added.has(name)) g.floats(key, view(flat, s), s.shape);
    added.add(name);
    return key;
  };
}

/**
 * init: features [N, L, D] → P = W_a a + b_a [N, L, A] (the image half of the attention MLP, once
 * per image) and h0, c0 = tanh(f_init(mean_i a_i)) [N, n].
 */
export function initGraph(config: DecoderConfig, flat: Float32Array): Uint8Array {
  const { featureDim: D, hiddenDim: n, attentionDim: A } = config;
  const L = config.grid.h * config.grid.w;
  const g = new GraphBuilder('decoder_init');
  const p = weights(config, flat, g);
  const a = g.input('features', 'float', ['N', L, D]);
  g.output(g.op('Add', [g.op('MatMul', [a, p('attFeat')]), p('attFeatB')]), 'P', 'float', ['N', L, A]);
  const mean = g.op('ReduceMean', [a], { axes: [1], keepdims: 0 });
  g.output(g.op('Tanh', [g.op('Add', [g.op('MatMul', [mean, p('initH')]), p('initHb')])]), 'h0', 'float', ['N', n]);
  g.output(g.op('Tanh', [g.op('Add', [g.op('MatMul', [mean, p('initC')]), p('initCb')])]), 'c0', 'float', ['N', n]);
  return g.encode();
}

/** α_t = softmax(w^T tanh(P_img + W_h h)) for rows of images `img`: shared by attend and step. */
function attention(g: GraphBuilder, p: (name: ParamName) => string, P: string, img: string, h: string): string {
  const PK = g.op('Gather', [P, img], { axis: 0 }); // [K, L, A]
  const hW = g.op('Unsqueeze', [g.op('MatMul', [h, p('attHid')]), g.ints([1])]); // [K, 1, A]
  const e = g.op('Squeeze', [g.op('MatMul', [g.op('Tanh', [g.op('Add', [PK, hW])]), p('attV')]), g.ints([2])]); // e_ti (4)
  return g.op('Softmax', [e], { axis: 1 }); // α_t (5)
}

function stateInputs(g: GraphBuilder, config: DecoderConfig) {
  const L = config.grid.h * config.grid.w;
  return {
    P: g.input('P', 'float', ['N', L, config.attentionDim]),
    img: g.input('img', 'int64', ['K']), // row k belongs to image img[k] (beams share their image's a and P)
    h: g.input('h', 'float', ['K', config.hiddenDim]),
  };
}

/** attend: α_t only, so that hard attention can draw s_t ~ Multinoulli(α_t) before the step. */
export function attendGraph(config: DecoderConfig, flat: Float32Array): Uint8Array {
  const g = new GraphBuilder('decoder_attend');
  const p = weights(config, flat, g);
  const { P, img, h } = stateInputs(g, config);
  g.output(attention(g, p, P, img, h), 'alpha', 'float', ['K', config.grid.h * config.grid.w]);
  return g.encode();
}

/**
 * step: one word for K rows. The context weights are α_t, or — when use_override is 1 — the
 * rows of `override` (one-hot sampled locations): weights = α (1 − u) + override u, exact for u ∈ {0, 1}.
 */
export function stepGraph(config: DecoderConfig, flat: Float32Array): Uint8Array {
  const { featureDim: D, hiddenDim: n, vocabSize: V } = config;
  const L = config.grid.h * config.grid.w;
  const g = new GraphBuilder('decoder_step');
  const p = weights(config, flat, g);
  const a = g.input('a', 'float', ['N', L, D]);
  const { P, img, h } = stateInputs(g, config);
  const c = g.input('c', 'float', ['K', n]);
  const prev = g.input('prev', 'int64', ['K']);
  const override = g.input('override', 'float', ['K', L]);
  const use = g.input('use_override', 'float', [1]);

  const alpha = attention(g, p, P, img, h);
  const one = g.floats('one', new Float32Array([1]), [1]);
  const weightsK = g.op('Add', [g.op('Mul', [alpha, g.op('Sub', [one, use])]), g.op('Mul', [override, use])]);
  const aK = g.op('Gather', [a, img], { axis: 0 }); // [K, L, D]
  const ctx = g.op('Squeeze', [g.op('MatMul', [g.op('Unsqueeze', [weightsK, g.ints([1])]), aK]), g.ints([1])]); // [K, D]
  const beta = g.op('Sigmoid', [g.op('Add', [g.op('MatMul', [h, p('beta')]), p('betaB')])]); // [K, 1]
  const z = g.op('Mul', [ctx, beta]); // z_t = β_t φ(a, α_t)
  const Ey = g.op('Gather', [p('embed'), prev], { axis: 0 });
  const gates = g.op('Add', [g.op('Add', [g.op('MatMul', [Ey, p('lstmEmb')]), g.op('MatMul', [g.op('Concat', [z, h], { axis: 1 }), p('lstmCtxHid')])]), p('lstmB')]);
  const [gi, gf, go, gg] = g.ops('Split', [gates, g.ints([n, n, n, n])], { axis: 1 }, 4); // gate order i, f, o, g
  const c2 = g.op('Add', [g.op('Mul', [g.op('Sigmoid', [gf]), c]), g.op('Mul', [g.op('Sigmoid', [gi]), g.op('Tanh', [gg])])]);
  const h2 = g.op('Mul', [g.op('Sigmoid', [go]), g.op('Tanh', [c2])]);
  const q = g.op('Tanh', [g.op('Add', [g.op('Add', [g.op('Add', [Ey, g.op('MatMul', [h2, p('outH')])]), p('outHb')]), g.op('MatMul', [z, p('outZ')])])]);
  const banned = new Float32Array(V);
  banned[PAD_ID] = banned[START_ID] = -1e9; // never generated
  const logits = g.op('Add', [g.op('Add', [g.op('MatMul', [q, p('outW')]), p('outB')]), g.floats('banned', banned, [V])]);
  g.output(g.op('LogSoftmax', [logits], { axis: 1 }), 'logprobs', 'float', ['K', V]);
  g.output(alpha, 'alpha', 'float', ['K', L]);
  g.output(beta, 'beta', 'float', ['K', 1]);
  g.output(h2, 'h2', 'float', ['K', n]);
  g.output(c2, 'c2', 'float', ['K', n]);
  return g.encode();
}
