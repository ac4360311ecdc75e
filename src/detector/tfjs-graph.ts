// Reads a TF.js graph model (model.json topology + weights manifest + .bin shards) into plain
// nodes and float32/int32 constants, without tfjs: the translator (translate.ts) turns these
// into an ONNX graph. Only what the shipped detectors use is supported; anything else throws.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';

const AttrSchema = z.object({
  s: z.string().optional(), // base64
  i: z.union([z.string(), z.number()]).optional(),
  f: z.number().optional(),
  b: z.boolean().optional(),
  list: z.object({ i: z.array(z.union([z.string(), z.number()])).optional(), s: z.array(z.string()).optional() }).optional(),
}).passthrough();

const NodeSchema = z.object({
  name: z.string(),
  op: z.string(),
  input: z.array(z.string()).optional(),
  attr: z.record(z.string(), AttrSchema).optional(),
});

const WeightSchema = z.object({
  name: z.string(),
  shape: z.array(z.number().int()),
  dtype: z.enum(['float32', 'int32']),
  quantization: z.object({ dtype: z.string(), original_dtype: z.string().optional() }).optional(),
});

const ModelJsonSchema = z.object({
  format: z.literal('graph-model'),
  modelTopology: z.object({ node: z.array(NodeSchema) }),
  weightsManifest: z.array(z.object({ paths: z.array(z.string()), weights: z.array(WeightSchema) })),
});

export type TfNode = z.infer<typeof NodeSchema>;
export type TfAttr = z.infer<typeof AttrSchema>;

export interface TfConst {
  dtype: 'float32' | 'int32';
  shape: number[];
  data: Float32Array | Int32Array;
}

export interface TfGraph {
  nodes: TfNode[];
  consts: Map<string, TfConst>;
}

/** IEEE half → float, exactly (tfjs dequantizes float16 weights the same way). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // subnormal
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function decodeWeight(w: z.infer<typeof WeightSchema>, bytes: Buffer, offset: number): { value: TfConst; size: number } {
  const n = w.shape.reduce((a, b) => a * b, 1);
  const q = w.quantization?.dtype;
  if (w.dtype === 'int32' && !q) {
    const data = new Int32Array(n);
    for (let i = 0; i < n; i++) data[i] = bytes.readInt32LE(offset + 4 * i);
    return { value: { dtype: 'int32', shape: w.shape, data }, size: 4 * n };
  }
  if (w.dtype === 'float32' && (q === 'float16' || !q)) {
    const data = new Float32Array(n);
    if (q === 'float16') for (let i = 0; i < n; i++) data[i] = halfToFloat(bytes.readUInt16LE(offset + 2 * i));
    else for (let i = 0; i < n; i++) data[i] = bytes.readFloatLE(offset + 4 * i);
    return { value: { dtype: 'float32', shape: w.shape, data }, size: (q ? 2 : 4) * n };
  }
  throw new Error(`tfjs graph: weight ${w.name} has unsupported dtype ${w.dtype}/${q ?? 'none'}`);
}

/** Parses the topology JSON and its weight shards (read from beside the JSON file). */
export async function readTfGraph(jsonPath: string): Promise<TfGraph> {
  const json = ModelJsonSchema.parse(JSON.parse(await readFile(jsonPath, 'utf8')));
  const consts = new Map<string, TfConst>();
  for (const group of json.weightsManifest) {
    const bytes = Buffer.concat(await Promise.all(group.paths.map((p) => readFile(join(dirname(jsonPath), p)))));
    let offset = 0;
    for (const w of group.weights) {
      const { value, size } = decodeWeight(w, bytes, offset);
      consts.set(w.name, value);
      offset += size;
    }
    if (offset !== bytes.length) throw new Error(`tfjs graph: weights use ${offset} bytes of ${bytes.length} in ${group.paths.join(', ')}`);
  }
  return { nodes: json.modelTopology.node, consts };
}

// Attribute readers: TF.js stores ints as strings and strings as base64.
export const attr = {
  ints: (n: TfNode, key: string): number[] => (n.attr?.[key]?.list?.i ?? []).map(Number),
  int: (n: TfNode, key: string): number => Number(n.attr?.[key]?.i ?? 0),
  bool: (n: TfNode, key: string): boolean => n.attr?.[key]?.b ?? false,
  float: (n: TfNode, key: string): number => n.attr?.[key]?.f ?? 0,
  str: (n: TfNode, key: string): string => Buffer.from(n.attr?.[key]?.s ?? '', 'base64').toString(),
  strs: (n: TfNode, key: string): string[] => (n.attr?.[key]?.list?.s ?? []).map((s) => Buffer.from(s, 'base64').toString()),
};
