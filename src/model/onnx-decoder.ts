// The decoder's equations (src/model/decoder.ts) traced into ONNX graphs (ops: ./graph-ops.ts),
// at load time from the same flat parameter vector: nothing extra is shipped, and a retrained
// model needs no export. What is ONNX-specific here: the graphs' inputs and outputs, rows mapped
// to images (img), and the sampled context weights arriving as an input.
import { GraphBuilder } from '../runtime/onnx-builder.ts';
import type { DecoderConfig } from './config.ts';
import { attention, bannedLogits, decoderStep, embed, initState, locationLogprobs, type Weights } from './decoder.ts';
import { graphOps } from './graph-ops.ts';
import { paramLayout, view } from './params.ts';

/** The parameters as initializers, added to the graph on first use (the attend graph needs two). */
function weights(config: DecoderConfig, flat: Float32Array, g: GraphBuilder): Weights<string> {
  const w = {} as Weights<string>;
  for (const s of paramLayout(config).specs) {
    let name: string | undefined;
    // w_ keeps them apart from the graph's input/output names ('beta' is both)
    Object.defineProperty(w, s.name, { get: () => (name ??= g.floats(`w_${s.name}`, view(flat, s), s.shape)) });
  }
  return w;
}

function graph(name: string, config: DecoderConfig, flat: Float32Array) {
  const g = new GraphBuilder(name);
  return { g, op: graphOps(g), p: weights(config, flat, g) };
}

/**
 * init: features [N, L, D] → P = W_a a + b_a [N, L, A] (the image half of the attention MLP, once
 * per image) and h0, c0 = tanh(f_init(mean_i a_i)) [N, n].
 */
export function initGraph(config: DecoderConfig, flat: Float32Array): Uint8Array {
  const { featureDim: D, hiddenDim: n, attentionDim: A } = config;
  const L = config.grid.h * config.grid.w;
  const { g, op, p } = graph('decoder_init', config, flat);
  const s = initState(op, p, g.input('features', 'float', ['N', L, D]));
  g.output(s.P, 'P', 'float', ['N', L, A]);
  g.output(s.h, 'h0', 'float', ['N', n]);
  g.output(s.c, 'c0', 'float', ['N', n]);
  return g.encode();
}

/** The inputs that give each row its image's P (row k belongs to image img[k]: beams share their image's a and P). */
function rowInputs(g: GraphBuilder, config: DecoderConfig) {
  const L = config.grid.h * config.grid.w;
  const img = g.input('img', 'int64', ['K']);
  return {
    img,
    P: g.op('Gather', [g.input('P', 'float', ['N', L, config.attentionDim]), img], { axis: 0 }), // [K, L, A]
    h: g.input('h', 'float', ['K', config.hiddenDim]),
  };
}

/** attend: α_t only, so that hard attention can draw s_t ~ Multinoulli(α_t) before the step. */
export function attendGraph(config: DecoderConfig, flat: Float32Array): Uint8Array {
  const { g, op, p } = graph('decoder_attend', config, flat);
  const { P, h } = rowInputs(g, config);
  g.output(attention(op, p, P, h).alpha, 'alpha', 'float', ['K', config.grid.h * config.grid.w]);
  return g.encode();
}

/**
 * step: one word for K rows. The context weights are α_t, or — when use_override is 1 — the
 * rows of `override` (one-hot sampled locations): weights = α (1 − u) + override u, exact for u ∈ {0, 1}.
 */
export function stepGraph(config: DecoderConfig, flat: Float32Array): Uint8Array {
  const { featureDim: D, hiddenDim: n, vocabSize: V } = config;
  const L = config.grid.h * config.grid.w;
  const { g, op, p } = graph('decoder_step', config, flat);
  const a = g.input('a', 'float', ['N', L, D]);
  const { img, P, h } = rowInputs(g, config);
  const c = g.input('c', 'float', ['K', n]);
  const prev = g.input('prev', 'int64', ['K']);
  const override = g.input('override', 'float', ['K', L]);
  const use = g.input('use_override', 'float', [1]);
  const keep = g.op('Sub', [g.floats('one', new Float32Array([1]), [1]), use]);
  const weightsOf = (alpha: string) => op.add(op.mul(alpha, keep), op.mul(override, use));
  const rows = { a: g.op('Gather', [a, img], { axis: 0 }), P, h, c }; // a: [K, L, D]
  const out = decoderStep(op, p, rows, prev, weightsOf, g.floats('banned', bannedLogits(V), [V]));
  g.output(out.logprobs, 'logprobs', 'float', ['K', V]);
  g.output(out.alpha, 'alpha', 'float', ['K', L]);
  g.output(out.beta, 'beta', 'float', ['K', 1]);
  g.output(out.h, 'h2', 'float', ['K', n]);
  g.output(out.c, 'c2', 'float', ['K', n]);
  return g.encode();
}

/**
 * locate: log p(word | s_t = i) for every location i [L, 1], for one row: its image's a (img),
 * the previous word, h_t and β_t of the step that said `word` (./decoder.ts locationLogprobs).
 * L is free: the output layer sees one location at a time, so a finer grid of the same
 * features (the encoder at a larger input) works too (fine focus maps, src/decoding/focus.ts).
 */
export function locateGraph(config: DecoderConfig, flat: Float32Array): Uint8Array {
  const { featureDim: D, hiddenDim: n, vocabSize: V } = config;
  const L = 'L';
  const { g, op, p } = graph('decoder_locate', config, flat);
  const a = g.input('a', 'float', ['N', L, D]);
  const img = g.input('img', 'int64', []); // a scalar index drops the axis: a[img] is [L, D]
  const Ey = embed(op, p, g.input('prev', 'int64', [1]));
  const logprobs = locationLogprobs(op, p, g.op('Gather', [a, img], { axis: 0 }), Ey, g.input('h', 'float', [1, n]), g.input('beta', 'float', [1, 1]), g.floats('banned', bannedLogits(V), [V]));
  g.output(g.op('Gather', [logprobs, g.input('word', 'int64', [1])], { axis: 1 }), 'loglik', 'float', [L, 1]);
  return g.encode();
}
