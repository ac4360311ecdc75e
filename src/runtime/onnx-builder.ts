// A small builder for ONNX graphs written in code (the decoder's: src/model/graph-ops.ts adds its nodes through
// this, src/model/onnx-decoder.ts traces the equations with them).
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
const T = onnx.TensorProto.DataType;

export type ElemType = 'float' | 'int64';
type Dim = number | string;
/** Integers, integer lists, strings, and floats (wrapped: a JS number alone is an INT). */
export type Attr = number | number[] | string | { float: number };

const ELEM: Record<ElemType, number> = { float: T.FLOAT, int64: T.INT64 };

/** Raw little-endian bytes of a typed array, without copying. */
function bytesOf(a: Float32Array | BigInt64Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly inits: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private n = 0;

  constructor(private readonly name: string) {}

  input(name: string, type: ElemType, dims: Dim[]): string {
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  output(value: string, name: string, type: ElemType, dims: Dim[]): void {
    this.op('Identity', [value], {}, name);
    this.outputs.push(valueInfo(name, type, dims));
  }

  /** A float constant (weights: stored as raw bytes, no copy until encode). */
  floats(name: string, data: Float32Array, dims: number[]): string {
    this.inits.push({ name, dataType: T.FLOAT, dims, rawData: bytesOf(data) });
    return name;
  }

  ints(values: number[]): string {
    const name = `const_${this.n++}`;
    this.inits.push({ name, dataType: T.INT64, dims: [values.length], rawData: bytesOf(BigInt64Array.from(values, BigInt)) });
    return name;
  }

  /** Adds one node and returns the name of its (first) output. */
  op(type: string, inputs: string[], attrs: Record<string, Attr> = {}, out = `${type.toLowerCase()}_${this.n++}`, outputs = 1): string {
    const names = outputs === 1 ? [out] : Array.from({ length: outputs }, (_, i) => `${out}_${i}`);
    const attribute = Object.entries(attrs).map(([name, v]) => attributeOf(name, v));
    this.nodes.push({ opType: type, input: inputs, output: names, name: `${out}_node`, attribute });
    return names[0];
  }

  /** Like op() for nodes with several outputs: returns all their names. */
  ops(type: string, inputs: string[], attrs: Record<string, Attr>, outputs: number): string[] {
    const base = `${type.toLowerCase()}_${this.n++}`;
    this.op(type, inputs, attrs, base, outputs);
    return Array.from({ length: outputs }, (_, i) => `${base}_${i}`);
  }

  encode(): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      producerName: 'show-attend-tell',
      graph: { name: this.name, node: this.nodes, initializer: this.inits, input: this.inputs, output: this.outputs },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function attributeOf(name: string, v: Attr): onnxProto.onnx.IAttributeProto {
  const A = onnx.AttributeProto.AttributeType;
  if (Array.isArray(v)) return { name, type: A.INTS, ints: v };
  if (typeof v === 'string') return { name, type: A.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === 'object') return { name, type: A.FLOAT, f: v.float };
  return { name, type: A.INT, i: v };
}

function valueInfo(name: string, type: ElemType, dims: Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: ELEM[type], shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}
