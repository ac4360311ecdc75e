/**
 * The operations the decoder's equations (./decoder.ts) are written in, over values of type T:
 * tfjs tensors computed eagerly (tfOps, ./tfjs-ops.ts) or symbols of an ONNX graph under construction
 * (./graph-ops.ts). The equations are stated once and either run or traced into a graph. Only
 * the interface lives here, so tracing the graphs needs no tfjs.
 */
export interface Ops<T> {
  /** [r, k]·[k, n]; [b, r, k]·[k, n] (every row of a batch times one matrix); [b, r, k]·[b, k, n] (batched). */
  matMul(a: T, b: T): T;
  add(a: T, b: T): T; // broadcasting, as are mul
  mul(a: T, b: T): T;
  sigmoid(x: T): T;
  tanh(x: T): T;
  softmax(x: T): T; // over the last axis, as is logSoftmax
  logSoftmax(x: T): T;
  /** Rows of x (axis 0) at the integer indices idx. */
  gather(x: T, idx: T): T;
  concat(xs: T[], axis: number): T;
  split(x: T, parts: number, axis: number): T[]; // equal parts
  unsqueeze(x: T, axis: number): T;
  squeeze(x: T, axis: number): T;
  mean(x: T, axis: number): T; // drops the axis
}
