import * as tf from '@tensorflow/tfjs-core';

/**
 * tfjs-core's CommonJS build (what Node loads) does not register the chained tensor methods
 * (x.add(y), x.reshape(...)); only the browser ESM build does, and its files are not loadable
 * by Node. Their types are declared, so we attach the methods we use, exactly as tfjs does.
 */
const CHAINED = [
  'add', 'sub', 'mul', 'div', 'neg', 'square', 'exp', 'log', 'tanh', 'sigmoid', 'sum', 'mean', 'max',
  'reshape', 'slice', 'expandDims', 'squeeze', 'clone', 'less', 'greater', 'transpose', 'matMul', 'cast',
] as const;
const proto = tf.Tensor.prototype as unknown as Record<string, unknown>;
const ops = tf as unknown as Record<string, (...args: unknown[]) => tf.Tensor>;
for (const name of CHAINED) {
  if (typeof proto[name] === 'function') continue;
  proto[name] = function (this: tf.Tensor, ...args: unknown[]) {
    return ops[name](this, ...args);
  };
}
if (typeof proto.toFloat !== 'function') {
  proto.toFloat = function (this: tf.Tensor) {
    return tf.cast(this, 'float32');
  };
}

export * from '@tensorflow/tfjs-core';
