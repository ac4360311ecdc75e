import type { GraphBuilder } from '../runtime/onnx-builder.ts';
import type { Ops } from './ops.ts';

/**
 * The decoder's operations as ONNX nodes: running an equation of ./decoder.ts with these adds its
 * nodes to `g` and returns the names of their outputs (tracing, as opposed to tfOps' computing).
 * ONNX MatMul broadcasts, so every form of Ops.matMul is one node.
 */
export function graphOps(g: GraphBuilder): Ops<string> {
  return {
    matMul: (a, b) => g.op('MatMul', [a, b]),
    add: (a, b) => g.op('Add', [a, b]),
    mul: (a, b) => g.op('Mul', [a, b]),
    sigmoid: (x) => g.op('Sigmoid', [x]),
    tanh: (x) => g.op('Tanh', [x]), // ORT's Tanh is vectorised: no need for ./tfjs-ops.ts's wasm trick
    softmax: (x) => g.op('Softmax', [x], { axis: -1 }),
    logSoftmax: (x) => g.op('LogSoftmax', [x], { axis: -1 }),
    gather: (x, idx) => g.op('Gather', [x, idx], { axis: 0 }),
    concat: (xs, axis) => g.op('Concat', xs, { axis }),
    split: (x, parts, axis) => g.ops('Split', [x], { axis }, parts),
    unsqueeze: (x, axis) => g.op('Unsqueeze', [x, g.ints([axis])]),
    squeeze: (x, axis) => g.op('Squeeze', [x, g.ints([axis])]),
    mean: (x, axis) => g.op('ReduceMean', [x], { axes: [axis], keepdims: 0 }),
  };
}
