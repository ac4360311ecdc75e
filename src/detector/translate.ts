// TF.js graph → ONNX, one function per TF op. The TF graph is NHWC; ONNX Conv is NCHW, so every
// 4-D activation here is kept NCHW (the caller feeds NCHW, one layout for the whole graph): conv
// weights go HWIO → OIHW, channel-axis attributes are remapped, per-channel constants become
// [C, 1, 1]. Only the ops the shipped detectors' feature graphs use are supported; anything else
// throws with the op's name, so a new model fails loudly at load instead of computing nonsense.
import type { GraphBuilder } from '../runtime/onnx-builder.ts';
import { attr, type TfConst, type TfGraph, type TfNode } from './tfjs-graph.ts';

export interface TranslateOptions {
  /** TF placeholder name → ONNX value (already NCHW) to use in its place. */
  inputs: Record<string, string>;
  /** TF tensors to compute; the returned ONNX values are NCHW for 4-D tensors. */
  outputs: string[];
  /** Spatial size fed to the graph over the size it was exported at (ResizeBilinear sizes scale by it). */
  sizeRatio: number;
}

interface Ctx {
  g: GraphBuilder;
  consts: TfGraph['consts'];
  sizeRatio: number;
  /** Translated TF tensor name → ONNX value name. */
  values: Map<string, string>;
}

const NHWC_TO_NCHW_AXIS = [0, 2, 3, 1];

/** 'a/b:1' → ['a/b', 1]; control inputs ('^a') are not data. */
function ref(name: string): [string, number] {
  const m = /^(.*):(\d+)$/.exec(name);
  return m ? [m[1], Number(m[2])] : [name, 0];
}

function constOf(ctx: Ctx, name: string): TfConst {
  const c = ctx.consts.get(ref(name)[0]);
  if (!c) throw new Error(`translate: ${name} is not a constant`);
  return c;
}

function isConst(ctx: Ctx, name: string): boolean {
  return ctx.consts.has(ref(name)[0]) && !ctx.values.has(ref(name)[0]);
}

let constIds = 0;
/** A float constant as an ONNX initializer; a per-channel vector becomes [C, 1, 1] to broadcast over NCHW. */
function floatConst(ctx: Ctx, c: TfConst): string {
  if (c.dtype !== 'float32' || c.shape.length > 1) throw new Error(`translate: elementwise constant ${c.dtype}[${c.shape}] is not supported`);
  const dims = c.shape.length === 1 && c.shape[0] > 1 ? [c.shape[0], 1, 1] : c.shape;
  return ctx.g.floats(`w_${constIds++}`, Float32Array.from(c.data), dims);
}

/** The ONNX value of a TF node input (a float constant is materialised on first use). */
function value(ctx: Ctx, name: string): string {
  if (name.startsWith('^')) throw new Error(`translate: control input ${name}`);
  if (ref(name)[1] !== 0) throw new Error(`translate: ${name}: only first outputs are supported`);
  const v = ctx.values.get(ref(name)[0]);
  if (v !== undefined) return v;
  return floatConst(ctx, constOf(ctx, name));
}

/** A 1-D float constant as is (a Conv bias). */
function biasConst(ctx: Ctx, c: TfConst): string {
  if (c.shape.length !== 1) throw new Error(`translate: bias of shape [${c.shape}]`);
  return ctx.g.floats(`w_${constIds++}`, Float32Array.from(c.data), c.shape);
}

/** HWIO (conv) or HWCM (depthwise) → OIHW; depthwise output channel c·M + m becomes group c. */
function convWeights(ctx: Ctx, c: TfConst, depthwise: boolean): { name: string; out: number; k: [number, number] } {
  const [kh, kw, ci, co] = c.shape;
  const out = depthwise ? ci * co : co;
  const inPerGroup = depthwise ? 1 : ci;
  const w = new Float32Array(out * inPerGroup * kh * kw);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < ci; i++)
        for (let o = 0; o < co; o++) {
          const oc = depthwise ? i * co + o : o;
          const ic = depthwise ? 0 : i;
          w[((oc * inPerGroup + ic) * kh + y) * kw + x] = c.data[((y * kw + x) * ci + i) * co + o];
        }
  return { name: ctx.g.floats(`w_${constIds++}`, w, [out, inPerGroup, kh, kw]), out, k: [kh, kw] };
}

function padding(n: TfNode): Record<string, string | number[]> {
  const p = attr.str(n, 'padding');
  if (p === 'SAME') return { auto_pad: 'SAME_UPPER' }; // TF puts the odd pixel at the end, as SAME_UPPER does
  if (p === 'VALID') return {};
  throw new Error(`translate: ${n.name}: padding ${p} is not supported`);
}

function checkNhwc(n: TfNode): void {
  const f = attr.str(n, 'data_format');
  if (f && f !== 'NHWC') throw new Error(`translate: ${n.name}: data_format ${f} is not supported`);
}

/** Conv2D / DepthwiseConv2dNative and their fused forms (BiasAdd, then Relu / Relu6). */
function conv(ctx: Ctx, n: TfNode, depthwise: boolean): string {
  checkNhwc(n);
  const inputs = n.input!;
  const w = convWeights(ctx, constOf(ctx, inputs[1]), depthwise);
  const [, sh, sw] = attr.ints(n, 'strides');
  const [, dh, dw] = attr.ints(n, 'dilations').length ? attr.ints(n, 'dilations') : [1, 1, 1];
  const fused = attr.strs(n, 'fused_ops');
  const args = [value(ctx, inputs[0]), w.name];
  if (fused[0] === 'BiasAdd') args.push(biasConst(ctx, constOf(ctx, inputs[2])));
  else if (fused.length) throw new Error(`translate: ${n.name}: fused ops ${fused} are not supported`);
  const y = ctx.g.op('Conv', args, {
    kernel_shape: w.k, strides: [sh, sw], dilations: [dh, dw], group: depthwise ? w.out : 1, ...padding(n),
  });
  const act = fused.slice(1);
  if (act.length === 0) return y;
  if (act.length === 1 && act[0] === 'Relu') return ctx.g.op('Relu', [y]);
  if (act.length === 1 && act[0] === 'Relu6') return relu6(ctx, y);
  throw new Error(`translate: ${n.name}: fused activation ${act} is not supported`);
}

function relu6(ctx: Ctx, x: string): string {
  const lo = ctx.g.floats(`w_${constIds++}`, new Float32Array([0]), []);
  const hi = ctx.g.floats(`w_${constIds++}`, new Float32Array([6]), []);
  return ctx.g.op('Clip', [x, lo, hi]);
}

/** Axis constants (Mean, ConcatV2) index NHWC; the graph here is NCHW. */
function axes(ctx: Ctx, name: string): number[] {
  return Array.from(constOf(ctx, name).data, (a) => NHWC_TO_NCHW_AXIS[a < 0 ? a + 4 : a]);
}

/** ResizeBilinear's output size was folded to a constant for the export size; it scales with the input. */
function resizeBilinear(ctx: Ctx, n: TfNode): string {
  const [h, w] = Array.from(constOf(ctx, n.input![1]).data, (s) => s * ctx.sizeRatio);
  if (!Number.isInteger(h) || !Number.isInteger(w)) throw new Error(`translate: ${n.name}: output size ${h}×${w} is not whole (input size must be a multiple of 32)`);
  const mode = attr.bool(n, 'align_corners') ? 'align_corners' : attr.bool(n, 'half_pixel_centers') ? 'half_pixel' : 'asymmetric';
  const x = value(ctx, n.input![0]);
  const sizes = ctx.g.op('Concat', [ctx.g.op('Shape', [x], { start: 0, end: 2 }), ctx.g.ints([h, w])], { axis: 0 });
  return ctx.g.op('Resize', [x, '', '', sizes], { mode: 'linear', coordinate_transformation_mode: mode });
}

function maxPool(ctx: Ctx, n: TfNode): string {
  checkNhwc(n);
  const [, kh, kw] = attr.ints(n, 'ksize');
  const [, sh, sw] = attr.ints(n, 'strides');
  return ctx.g.op('MaxPool', [value(ctx, n.input![0])], { kernel_shape: [kh, kw], strides: [sh, sw], ...padding(n) });
}

const binary = (type: string) => (ctx: Ctx, n: TfNode) => ctx.g.op(type, n.input!.map((i) => value(ctx, i)));
const unary = (type: string) => (ctx: Ctx, n: TfNode) => ctx.g.op(type, [value(ctx, n.input![0])]);

/** One function per TF op: returns the ONNX value of the node's (only) output. */
const OPS: Record<string, (ctx: Ctx, n: TfNode) => string> = {
  _FusedConv2D: (ctx, n) => conv(ctx, n, false),
  Conv2D: (ctx, n) => conv(ctx, n, false),
  FusedDepthwiseConv2dNative: (ctx, n) => conv(ctx, n, true),
  DepthwiseConv2dNative: (ctx, n) => conv(ctx, n, true),
  Add: binary('Add'),
  AddV2: binary('Add'),
  Sub: binary('Sub'),
  Mul: binary('Mul'),
  Relu: unary('Relu'),
  Sigmoid: unary('Sigmoid'),
  Identity: unary('Identity'),
  Relu6: (ctx, n) => relu6(ctx, value(ctx, n.input![0])),
  Mean: (ctx, n) => ctx.g.op('ReduceMean', [value(ctx, n.input![0])], { axes: axes(ctx, n.input![1]), keepdims: attr.bool(n, 'keep_dims') ? 1 : 0 }),
  ConcatV2: (ctx, n) => {
    const ins = n.input!;
    return ctx.g.op('Concat', ins.slice(0, -1).map((i) => value(ctx, i)), { axis: axes(ctx, ins[ins.length - 1])[0] });
  },
  ResizeBilinear: resizeBilinear,
  MaxPool: maxPool,
};

/** Adds the nodes that the requested outputs need (and only those) to g; returns their ONNX values. */
export function translate(g: GraphBuilder, graph: TfGraph, opts: TranslateOptions): string[] {
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  const ctx: Ctx = { g, consts: graph.consts, sizeRatio: opts.sizeRatio, values: new Map(Object.entries(opts.inputs)) };
  // Depth-first from the outputs (explicit stack: the graphs are deep), so a cut tail is never visited.
  const visit = (root: string): string => {
    const stack = [ref(root)[0]];
    while (stack.length) {
      const name = stack[stack.length - 1];
      if (ctx.values.has(name)) { stack.pop(); continue; }
      const node = byName.get(name);
      if (!node) throw new Error(`translate: no node ${name}`);
      if (node.op === 'Const') { stack.pop(); continue; }
      const pending = (node.input ?? []).map((i) => ref(i)[0]).filter((i) => !ctx.values.has(i) && !isConst(ctx, i));
      if (pending.length) { stack.push(...pending); continue; }
      const fn = OPS[node.op];
      if (!fn) throw new Error(`translate: TF op ${node.op} (${node.name}) is not supported`);
      ctx.values.set(name, fn(ctx, node));
      stack.pop();
    }
    return ctx.values.get(ref(root)[0])!;
  };
  return opts.outputs.map(visit);
}
