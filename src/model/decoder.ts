import type { Ops } from './ops.ts';
import type { ParamName } from './params.ts';
import { PAD_ID, START_ID } from '../data/vocab.ts';

/**
 * The Show-Attend-Tell decoder (Xu et al. 2015; numbers are the paper's equations), written once
 * as the named functions below, over a small set of operations (Ops<T>, ./ops.ts): run on tfjs
 * tensors they are the inference Decoder (./tfjs-decoder.ts), the training objective
 * (./loss.ts, differentiated by tfjs autograd) and the forward pass of src/train/bptt.ts (the
 * hand-written backward pass, checked against that loss); traced with ONNX nodes
 * (./graph-ops.ts) they are the ONNX Runtime decoder's graphs (./onnx-decoder.ts). This file
 * loads no tfjs (it imports only types and constants): ONNX Runtime workers read it without tfjs.
 *
 *   h_0 = tanh(f_init,h(mean_i a_i)),  c_0 = tanh(f_init,c(mean_i a_i))      initState
 *   e_ti = w^T tanh(W_a a_i + b_a + W_h h_{t-1})                            attention (4)
 *   α_t = softmax(e_t)                                                                (5)
 *   β_t = σ(W_β h_{t-1} + b_β)                                              glimpse   (4.2.1)
 *   z_t = β_t Σ_i α_ti a_i                 soft; hard at test time                    (13)
 *       = β_t a_{s_t}, s_t ~ Multinoulli(α_t)   hard, sampled locations               (8)
 *   i, f, o, g = σ, σ, σ, tanh(W [E y_{t-1}; z_t; h_{t-1}] + b)             lstmStep  (1)
 *   c_t = f c_{t-1} + i g,  h_t = o tanh(c_t)                                         (2, 3)
 *   p(y_t) = softmax(L_o tanh(E y_{t-1} + L_h h_t + L_z z_t))               output*   (7)
 *   log p(y_t | s_t = i): (7) with z = β_t a_i and h_t as decoded          locationLogprobs
 *     (with α_t, the focus map p(s_t = i | y_t) ∝ α_ti p(y_t | s_t = i): src/decoding/focus.ts)
 * decoderStep is one whole step; W_a a_i + b_a (P) is computed once per image by initState.
 * (tanh in the deep output as in the authors' code; training adds dropout on h_t and on that tanh.)
 * <pad> and <start> are never generated: their logits get −1e9 (bannedLogits).
 *
 * Training objective (./loss.ts), doubly stochastic attention (14):
 *   −(1/N) Σ_b w_b Σ_t log p(y_t) + λ/(B L) Σ_b Σ_i (1 − Σ_t α_ti)²
 * with w_b = 1 for cross-entropy and w_b = r_b − b_b, the advantage of a sampled caption, for
 * self-critical training; hard attention adds REINFORCE on the locations (11, 12):
 *   −λ_r (r − b) Σ_t log p(s_t) − λ_e Σ_t H[α_t]
 * Rewards, baselines, the entropy bonus and the ½ expected-context mix: ./reinforce.ts.
 */

/** The parameters by name (./params.ts): tensors, or the names of an ONNX graph's initializers. */
export type Weights<T> = Record<ParamName, T>;
/** −1e9 on <pad> and <start>, added to the logits: never targets, never generated. */
export function bannedLogits(vocabSize: number): Float32Array {
  const mask = new Float32Array(vocabSize);
  mask[PAD_ID] = mask[START_ID] = -1e9;
  return mask;
}

/** What a step reads for K rows: a [K, L, D], P [K, L, A], h and c [K, n]. */
export interface RowState<T> {
  a: T;
  P: T;
  h: T;
  c: T;
}

/** P = W_a a_i + b_a, the image part of the attention MLP (once per image), and h_0, c_0, from a [K, L, D]. */
export function initState<T>(op: Ops<T>, p: Weights<T>, a: T): Omit<RowState<T>, 'a'> {
  const P = op.add(op.matMul(a, p.attFeat), p.attFeatB); // [K, L, A]
  const meanA = op.mean(a, 1);
  const h = op.tanh(op.add(op.matMul(meanA, p.initH), p.initHb));
  const c = op.tanh(op.add(op.matMul(meanA, p.initC), p.initCb));
  return { P, h, c };
}

/** E y_{t-1}: the previous words' embeddings [K, m] from their ids [K]. */
export function embed<T>(op: Ops<T>, p: Weights<T>, prev: T): T {
  return op.gather(p.embed, prev);
}

/** Equations (4), (5): where to look, given h_{t-1}. u = tanh(P + W_h h_{t-1}) [K, L, A] is kept for the backward pass. */
export function attention<T>(op: Ops<T>, p: Weights<T>, P: T, h: T): { u: T; alpha: T } {
  const u = op.tanh(op.add(P, op.unsqueeze(op.matMul(h, p.attHid), 1)));
  const e = op.squeeze(op.matMul(u, p.attV), 2); // e_ti = w^T u_i (4)
  return { u, alpha: op.softmax(e) }; // α_t (5)
}

/** The gate β_t and the context z_t = β_t Σ_i w_i a_i, where the weights w are α_t (13) or one-hot(s_t) (8). */
export function glimpse<T>(op: Ops<T>, p: Weights<T>, a: T, h: T, weights: T): { ctx: T; beta: T; z: T } {
  const ctx = op.squeeze(op.matMul(op.unsqueeze(weights, 1), a), 1); // [K, D]
  const beta = op.sigmoid(op.add(op.matMul(h, p.beta), p.betaB)); // β_t [K, 1]
  return { ctx, beta, z: op.mul(ctx, beta) };
}

/** The input word's part of the LSTM pre-activations, E y_{t-1} W_e + b (training: all steps at once). */
export function wordGates<T>(op: Ops<T>, p: Weights<T>, Ey: T): T {
  return op.add(op.matMul(Ey, p.lstmEmb), p.lstmB);
}

/** The LSTM step's intermediates (the backward pass keeps them) and its new state. */
export interface LstmStep<T> {
  zh: T; // [z_t; h_{t-1}]
  i: T;
  f: T;
  o: T;
  g: T;
  tc: T; // tanh(c_t)
  h: T;
  c: T;
}

/** Equations (1)-(3) from the word gates xe = wordGates(E y_{t-1}), z_t and (h_{t-1}, c_{t-1}); gate order i, f, o, g. */
export function lstmStep<T>(op: Ops<T>, p: Weights<T>, xe: T, z: T, h: T, c: T): LstmStep<T> {
  const zh = op.concat([z, h], 1);
  const [gi, gf, go, gg] = op.split(op.add(xe, op.matMul(zh, p.lstmCtxHid)), 4, 1);
  const [i, f, o, g] = [op.sigmoid(gi), op.sigmoid(gf), op.sigmoid(go), op.tanh(gg)];
  const c2 = op.add(op.mul(f, c), op.mul(i, g));
  const tc = op.tanh(c2);
  return { zh, i, f, o, g, tc, h: op.mul(o, tc), c: c2 };
}

/** Equation (7), the deep output layer's hidden part q = tanh(E y_{t-1} + L_h h_t + b + L_z z_t) [K, m]. */
export function outputHidden<T>(op: Ops<T>, p: Weights<T>, Ey: T, h: T, z: T): T {
  return op.tanh(op.add(op.add(op.add(Ey, op.matMul(h, p.outH)), p.outHb), op.matMul(z, p.outZ)));
}

/** Equation (7), the rest: log p(y_t | a, y_{<t}) = log softmax(L_o q + b + banned) [K, V]; `banned` holds bannedLogits. */
export function outputLogprobs<T>(op: Ops<T>, p: Weights<T>, q: T, banned: T): T {
  return op.logSoftmax(op.add(op.add(op.matMul(q, p.outW), p.outB), banned));
}

/**
 * log p(y_t | s_t = i) for every location i [L, V]: the deep output (7) given the context of
 * location i alone, z = β_t a_i, with h_t as decoded. With α_t it gives where a word's evidence
 * is, p(s_t = i | y_t) ∝ α_ti p(y_t | s_t = i) (src/decoding/focus.ts). Only the output layer sees
 * location i (h_t keeps the expected context): one [L, m] pass instead of L LSTM steps.
 */
export function locationLogprobs<T>(op: Ops<T>, p: Weights<T>, a: T, Ey: T, h: T, beta: T, banned: T): T {
  return outputLogprobs(op, p, outputHidden(op, p, Ey, h, op.mul(a, beta)), banned); // a [L, D]; Ey, h, β one row
}

export interface Step<T> {
  logprobs: T; // [K, V]
  alpha: T; // α_t [K, L]
  weights: T; // what weighted the context: α_t (expected) or one-hot(s_t) (sampled)
  beta: T; // β_t [K, 1]
  h: T;
  c: T;
}

/**
 * One step for K rows: previous words' ids prev [K] → log p(y_t), α_t, the context weights, β_t
 * and (h_t, c_t). `weightsOf` turns α_t into the context weights (tfjs: contextWeights, ./tfjs-decoder.ts).
 */
export function decoderStep<T>(op: Ops<T>, p: Weights<T>, s: RowState<T>, prev: T, weightsOf: (alpha: T) => T, banned: T): Step<T> {
  const Ey = embed(op, p, prev);
  const { alpha } = attention(op, p, s.P, s.h);
  const weights = weightsOf(alpha);
  const { beta, z } = glimpse(op, p, s.a, s.h, weights);
  const { h, c } = lstmStep(op, p, wordGates(op, p, Ey), z, s.h, s.c);
  const logprobs = outputLogprobs(op, p, outputHidden(op, p, Ey, h, z), banned);
  return { logprobs, alpha, weights, beta, h, c };
}
