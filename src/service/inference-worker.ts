// Worker-thread entry: one Captioner, jobs one at a time (see pool.ts; messages in protocol.ts).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import type { PreparedImage } from '../encoder/preprocess.ts';
import { Captioner } from './captioner.ts';
import { fromWire, toWire, toWireError, WorkerInitSchema, WorkerRequestSchema, type JobReply, type WireCaptioned, type WireImage, type WorkerReply, type WorkerRequest } from './protocol.ts';
import type { Token } from './schemas.ts';

const init = WorkerInitSchema.parse(workerData);
const port = parentPort!;
const send = (m: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

let captioner: Captioner;
try {
  captioner = await Captioner.load({ modelsDir: init.modelsDir, allowDownload: init.allowDownload, maxPixels: init.maxPixels, runtime: init.runtime, intraOpThreads: init.intraOpThreads, log: (message) => send({ kind: 'log', message }) });
} catch (err) {
  send({ kind: 'failed', error: toWireError(err) });
  process.exit(1);
}
collectGarbage();
send({ kind: 'ready', info: captioner.info(), stats: captioner.memory() });

/**
 * Loading leaves ~100 MB of garbage per worker (float32 weights, the graphs' bytes) that an idle
 * V8 may keep for a long time, and workers × that is most of the RSS budget: collect it once now.
 */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** The worker's own copy of an image: upload bytes stay bytes (decoded by the Captioner). */
function receive(im: WireImage): Buffer | PreparedImage {
  return im.kind === 'bytes' ? Buffer.from(im.data) : fromWire(im);
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

async function handle(req: Exclude<WorkerRequest, { kind: 'crash' }>): Promise<{ reply: JobReply; transfer: ArrayBuffer[] }> {
  const transfer: ArrayBuffer[] = [];
  if (req.kind === 'caption') {
    const parts = req.parts.map((p) => ({ images: p.images.map(receive), options: p.options }));
    // Words go out as they are decoded, only for the parts that stream them; the port delivers
    // them even while this thread is busy.
    const onWord = req.parts.some((p) => p.words)
      ? (part: number, image: number, token: Token) => { if (req.parts[part].words) send({ kind: 'word', id: req.id, part, image, token }); }
      : undefined;
    const out = await captioner.captionParts(parts, onWord);
    const captioned = out.map((images, p) =>
      images.map((c, i): WireCaptioned => {
        // Uploaded bytes were decoded here: send the prepared image back (RGB for overlays).
        const prepared = Buffer.isBuffer(parts[p].images[i])
          ? { ...toWire(c.prepared, false), tensor: owned(c.prepared.tensor, transfer) }
          : undefined;
        return { result: c.result, hypothesis: c.hypothesis, prepared };
      }),
    );
    return { reply: { kind: 'captioned', id: req.id, stats: captioner.memory(), parts: captioned }, transfer };
  }
  const out = await captioner.overlay(fromWire(req.image), req.options, req.draw);
  return { reply: { kind: 'drawn', id: req.id, stats: captioner.memory(), image: owned(out.image, transfer), caption: out.caption, words: out.words }, transfer };
}

port.on('message', (message: unknown) => {
  const req = WorkerRequestSchema.parse(message);
  if (req.kind === 'crash') {
    if (!init.testHooks) return;
    if (req.how === 'exit') process.exit(70);
    setImmediate(() => { throw new Error('simulated inference worker crash'); });
    return;
  }
  handle(req).then(
    ({ reply, transfer }) => send(reply, transfer),
    (err) => send({ kind: 'error', id: req.id, stats: captioner.memory(), error: toWireError(err) }),
  );
});
