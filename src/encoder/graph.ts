// Edits the classifier graph at load time so one run yields both the spatial feature map
// (for attention), already region-major, and the logits (for tags). Done in code, never by hand, so a re-downloaded
// or swapped checkpoint of the same family gets the same treatment.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
type Model = onnxProto.onnx.ModelProto;
type Node = onnxProto.onnx.INodeProto;

export const FEATURES_OUTPUT = 'features';
const POOL_OPS = new Set(['GlobalAveragePool', 'QLinearGlobalAveragePool']);

/** The float tensor that the global pool summarises: the last conv feature map. */
function findFeatureTensor(model: Model): string {
  const graph = model.graph!;
  const nodes = graph.node!;
  const pool = nodes.find((n) => POOL_OPS.has(n.opType ?? ''));
  if (!pool) throw new Error('encoder graph: no GlobalAveragePool/QLinearGlobalAveragePool node found');
  const [input, scale, zeroPoint] = pool.input!;
  if (pool.opType === 'GlobalAveragePool') return input;

  const channelsLast = pool.attribute?.find((a) => a.name === 'channels_last');
  if (channelsLast && Number(channelsLast.i) !== 0) throw new Error('encoder graph: channels_last pooling not supported');

  // Quantized model: reuse an existing DequantizeLinear of the same tensor, else add one.
  const deq = nodes.find((n) => n.opType === 'DequantizeLinear' && n.input?.[0] === input && (n.domain ?? '') === '');
  if (deq) return deq.output![0];
  const name = `${input}_dequantized`;
  const node: Node = { opType: 'DequantizeLinear', input: [input, scale, zeroPoint], output: [name], name: `${name}_node` };
  nodes.push(onnx.NodeProto.create(node));
  return name;
}

function dim(param: string) {
  return onnx.TensorShapeProto.Dimension.create({ dimParam: param });
}

/**
 * Returns edited model bytes exposing FEATURES_OUTPUT [batch, H/32, W/32, C] with dynamic H/W:
 * region-major (one contiguous C-vector per region r = y*w + x), the layout attention reads, so
 * ONNX Runtime transposes the NCHW map instead of a JS loop.
 */
export function exposeFeatures(modelBytes: Uint8Array): Uint8Array {
  const model = onnx.ModelProto.decode(modelBytes);
  const graph = model.graph!;
  if (graph.output!.some((o) => o.name === FEATURES_OUTPUT)) return modelBytes;
  const source = findFeatureTensor(model);

  // A new node keeps the original tensor name intact for the nodes that still consume it.
  const perm = onnx.AttributeProto.create({ name: 'perm', type: onnx.AttributeProto.AttributeType.INTS, ints: [0, 2, 3, 1] });
  graph.node!.push(onnx.NodeProto.create({ opType: 'Transpose', input: [source], output: [FEATURES_OUTPUT], name: 'features_region_major', attribute: [perm] }));

  const inputDims = graph.input![0].type!.tensorType!.shape!.dim!;
  if (inputDims.length !== 4) throw new Error('encoder graph: expected a 4-D NCHW image input');
  const batch = inputDims[0].dimParam || 'batch_size';
  inputDims[2] = dim('height');
  inputDims[3] = dim('width');

  graph.output!.push(
    onnx.ValueInfoProto.create({
      name: FEATURES_OUTPUT,
      type: {
        tensorType: {
          elemType: onnx.TensorProto.DataType.FLOAT,
          shape: { dim: [dim(batch), dim('grid_h'), dim('grid_w'), dim('channels')] },
        },
      },
    }),
  );
  // Stale fixed-size shape annotations would contradict the new dynamic dims.
  graph.valueInfo = [];
  return onnx.ModelProto.encode(model).finish();
}
