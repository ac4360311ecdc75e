import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '../runtime/tf.ts';
import { initBackend } from '../runtime/backend.ts';
import { decodeHalf } from '../encoder/float16.ts';
import { computeGradients, paramTensors } from './gradients.ts';
import type { StepRequest, WorkerInit, WorkerReply } from './protocol.ts';

// A gradient worker: wasm in Node runs single-threaded, so data parallelism across
// worker_threads is how training uses more than one core.
const init = workerData as WorkerInit;
const port = parentPort!;
const send = (m: WorkerReply) => port.postMessage(m);

const backend = await initBackend(init.backend);
const params = new Float32Array(init.params);
const grad = new Float32Array(init.grad);
const cache = new Uint16Array(init.features);
const rowSize = init.config.grid.h * init.config.grid.w * init.config.featureDim;
send({ kind: 'ready', backend });

port.on('message', (req: StepRequest) => {
  try {
    const features = new Float32Array(req.B * rowSize);
    for (let b = 0; b < req.B; b++) {
      const r = req.rows[b];
      decodeHalf(cache.subarray(r * rowSize, (r + 1) * rowSize), features.subarray(b * rowSize, (b + 1) * rowSize));
    }
    const p = paramTensors(init.config, params);
    try {
      const stats = computeGradients(init.config, p, { features, tokens: req.tokens, B: req.B, T: req.T }, req.opts, grad);
      send({ kind: 'done', stats });
    } finally {
      tf.dispose(Object.values(p));
    }
  } catch (err) {
    send({ kind: 'error', message: err instanceof Error ? err.stack ?? err.message : String(err) });
  }
});
