import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '../runtime/tf.ts';
import { initBackend } from '../runtime/backend.ts';
import { decodeHalf } from '../util/float16.ts';
import { Vocabulary } from '../data/vocab.ts';
import { Decoder, paramTensors } from '../model/tfjs-decoder.ts';
import { TfjsStepDecoder } from '../model/tfjs-step.ts';
import { argmaxChooser, decodeStepwise, samplingChooser } from '../decoding/stepwise.ts';
import { mulberry32 } from '../util/rng.ts';
import { computeGradients } from './bptt.ts';
import type { SampleReply, SampleRequest, StepRequest, WorkerInit, WorkerReply } from './protocol.ts';

// A gradient worker: wasm in Node runs single-threaded, so data parallelism across
// worker_threads is how training uses more than one core.
const init = workerData as WorkerInit;
const port = parentPort!;
const send = (m: WorkerReply) => port.postMessage(m);

const backend = await initBackend(init.backend);
const params = new Float32Array(init.params);
const grad = new Float32Array(init.grad);
const cache = new Uint16Array(init.features);
const vocab = init.vocab ? Vocabulary.fromJSON(init.vocab) : undefined;
const rowSize = init.config.grid.h * init.config.grid.w * init.config.featureDim;
send({ kind: 'ready', backend });

function features(rows: Int32Array): Float32Array {
  const out = new Float32Array(rows.length * rowSize);
  rows.forEach((r, b) => decodeHalf(cache.subarray(r * rowSize, (r + 1) * rowSize), out.subarray(b * rowSize, (b + 1) * rowSize)));
  return out;
}

function gradientStep(req: StepRequest): WorkerReply {
  const p = paramTensors(init.config, params);
  try {
    const stats = computeGradients(init.config, p, { features: features(req.rows), tokens: req.tokens, regions: req.regions, B: req.B, T: req.T }, req.opts, grad);
    return { kind: 'done', stats };
  } finally {
    tf.dispose(Object.values(p));
  }
}

/** Self-critical training's captions: sampled with the current parameters, no dropout, expected context. */
function sample(req: SampleRequest): SampleReply {
  if (!vocab) throw new Error('this worker was started without a vocabulary: it cannot sample captions');
  const decoder = new Decoder(init.config, vocab, params);
  const steps = new TfjsStepDecoder(decoder);
  const n = req.rows.length;
  try {
    const data = features(req.rows);
    const rep = new Float32Array(n * req.samples * rowSize); // each image's features K times
    for (let i = 0; i < n; i++) for (let k = 0; k < req.samples; k++) rep.set(data.subarray(i * rowSize, (i + 1) * rowSize), (i * req.samples + k) * rowSize);
    const sampled = decodeStepwise(steps, rep, { maxLength: req.maxLength, choose: samplingChooser(mulberry32(req.seed), 1), repetitionPenalty: 0 });
    const greedy = req.greedy ? decodeStepwise(steps, data, { maxLength: req.maxLength, choose: argmaxChooser, repetitionPenalty: 0 }) : [];
    return { kind: 'samples', sampled: sampled.map((s) => s.ids), greedy: greedy.map((s) => s.ids) };
  } finally {
    decoder.dispose();
  }
}

port.on('message', (req: StepRequest | SampleRequest) => {
  try {
    send(req.kind === 'sample' ? sample(req) : gradientStep(req));
  } catch (err) {
    send({ kind: 'error', message: err instanceof Error ? err.stack ?? err.message : String(err) });
  }
});
