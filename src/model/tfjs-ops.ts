import * as tf from '../runtime/tf.ts';
import type { Ops } from './ops.ts';

/**
 * tanh(x) = 2σ(2x) − 1. On the wasm backend Tanh is a scalar loop (16 ms for 32×49×512)
 * while Sigmoid is vectorised (3 ms), and the attention MLP's tanh is the hottest op.
 */
export function tanh<T extends tf.Tensor>(x: T): T {
  if (tf.getBackend() !== 'wasm') return tf.tanh(x);
  return tf.tidy(() => tf.sub(tf.mul(tf.sigmoid(tf.mul(x, 2)), 2), 1)) as T;
}

/** The equations on tfjs tensors, eagerly (inference, training's forward pass, the autograd reference loss). */
export const tfOps: Ops<tf.Tensor> = {
  matMul(a, b) {
    if (a.rank === 3 && b.rank === 2) {
      // one 2-D product over all rows (tfjs has no broadcasting batch matMul against a matrix)
      const [n, r, k] = a.shape as [number, number, number];
      return tf.matMul(a.reshape([n * r, k]) as tf.Tensor2D, b as tf.Tensor2D).reshape([n, r, -1]);
    }
    return tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D);
  },
  add: (a, b) => tf.add(a, b),
  mul: (a, b) => tf.mul(a, b),
  sigmoid: (x) => tf.sigmoid(x),
  tanh,
  softmax: (x) => tf.softmax(x),
  logSoftmax: (x) => tf.logSoftmax(x),
  gather: (x, idx) => tf.gather(x, idx),
  concat: (xs, axis) => tf.concat(xs, axis),
  split: (x, parts, axis) => tf.split(x, parts, axis),
  unsqueeze: (x, axis) => tf.expandDims(x, axis),
  squeeze: (x, axis) => tf.squeeze(x, [axis]),
  mean: (x, axis) => tf.mean(x, axis),
};
