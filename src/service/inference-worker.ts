// Worker-thread entry: one Captioner, jobs one at a time (see worker-captioner.ts).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '../runtime/tf.ts';
import type { PreparedImage } from '../encoder/preprocess.ts';
import { Captioner } from './captioner.ts';
import type { Token } from './schemas.ts';
import { captionOverlay, toWireError, type TensorStats, type WireImage, type WirePrepared, type WorkerInit, type WorkerReply, type WorkerRequest } from './worker-captioner.ts';

const init = workerData as WorkerInit;
const port = parentPort!;
const send = (m: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

const stats = (): TensorStats => {
  // The ort decoder never starts tfjs (no backend, no tensors).
  const m = captioner?.runtime === 'tfjs' ? tf.memory() : { numTensors: 0, numBytes: 0 };
  return { numTensors: m.numTensors, numBytes: m.numBytes, heapUsed: process.memoryUsage().heapUsed };
};

let captioner: Captioner;
try {
  captioner = await Captioner.load({ modelsDir: init.modelsDir, allowDownload: init.allowDownload, maxPixels: init.maxPixels, runtime: init.runtime, intraOpThreads: init.intraOpThreads, log: (message) => send({ kind: 'log', message }) });
} catch (err) {
  send({ kind: 'failed', error: toWireError(err) });
  process.exit(1);
}
collectGarbage();
send({ kind: 'ready', info: captioner.info(), stats: stats() });

/**
 * Loading leaves ~100 MB of garbage per worker (float32 weights, the graphs' bytes) that an idle
 * V8 may keep for a long time, and workers × that is most of the RSS budget: collect it once now.
 */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** The worker's own copy of a prepared image: rgb is only needed for overlays. */
function fromWire(im: WireImage): Buffer | PreparedImage {
  if (im.kind === 'bytes') return Buffer.from(im.data);
  const rgb = im.rgb ? Buffer.from(im.rgb.buffer, im.rgb.byteOffset, im.rgb.byteLength) : Buffer.alloc(0);
  return { tensor: im.tensor, width: im.width, height: im.height, format: im.format, rgb, rgbWidth: im.rgbWidth, rgbHeight: im.rgbHeight };
}

/** Transfers an array's memory when it owns all of it, else sends a copy. */
function owned<T extends Uint8Array | Float32Array>(a: T, transfer: ArrayBuffer[]): T {
  if (a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && a.buffer instanceof ArrayBuffer && !transfer.includes(a.buffer)) {
    transfer.push(a.buffer);
    return a;
  }
  const copy = a.slice() as T;
  transfer.push(copy.buffer as ArrayBuffer);
  return copy;
}

async function handle(req: Exclude<WorkerRequest, { kind: 'crash' }>): Promise<{ value: unknown; transfer: ArrayBuffer[] }> {
  const transfer: ArrayBuffer[] = [];
  if (req.kind === 'caption') {
    const parts = req.parts.map((p) => ({ images: p.images.map(fromWire), options: p.options }));
    // Words go out as they are decoded; the port delivers them even while this thread is busy.
    const onWord = req.parts.some((p) => p.words)
      ? (part: number, image: number, token: Token) => { if (req.parts[part].words) send({ kind: 'word', id: req.id, part, image, token }); }
      : undefined;
    const out = await captioner.captionParts(parts, onWord);
    const value = out.map((captioned, p) =>
      captioned.map((c, i) => {
        // Uploaded bytes were decoded here: send the prepared image back (RGB for overlays).
        const prepared: WirePrepared | undefined = Buffer.isBuffer(parts[p].images[i])
          ? { ...c.prepared, tensor: owned(c.prepared.tensor, transfer), rgb: owned(c.prepared.rgb, transfer) }
          : undefined;
        return { result: c.result, hypothesis: c.hypothesis, prepared };
      }),
    );
    return { value, transfer };
  }
  const out = await captionOverlay(captioner, fromWire(req.image) as PreparedImage, req.options, req.draw);
  return { value: { ...out, image: owned(out.image, transfer) }, transfer };
}

port.on('message', (req: WorkerRequest) => {
  if (req.kind === 'crash') {
    if (!init.testHooks) return;
    if (req.how === 'exit') process.exit(70);
    setImmediate(() => { throw new Error('simulated inference worker crash'); });
    return;
  }
  handle(req).then(
    ({ value, transfer }) => send({ kind: 'done', id: req.id, stats: stats(), value }, transfer),
    (err) => send({ kind: 'error', id: req.id, stats: stats(), error: toWireError(err) }),
  );
});
