// Worker-thread side of a worker executor (worker-executor.ts; messages in protocol.ts): one
// Captioner, jobs one at a time. The thread's entry calls serve().
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import { Captioner, type CaptionPart } from '../pipeline/captioner.ts';
import { fromWire, toWireError, transferable, WorkerInitSchema, WorkerRequestSchema, type JobReply, type WorkerInit, type WorkerReply, type WorkerRequest } from './protocol.ts';

/** The side of the channel the worker uses: its parentPort, or a test's wrapper of it. */
export interface WorkerPort {
  on(event: 'message', listener: (message: unknown) => void): unknown;
  postMessage(message: unknown, transfer?: ArrayBuffer[]): void;
}

/** Loads the model, says 'ready' (or 'failed' and exits), then answers requests until the thread ends. */
export async function serve(port: WorkerPort = parentPort!, init: WorkerInit = WorkerInitSchema.parse(workerData)): Promise<void> {
  const send = (m: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
  let captioner: Captioner;
  try {
    captioner = await Captioner.load({ ...init, log: (message) => send({ kind: 'log', message }) });
  } catch (err) {
    send({ kind: 'failed', error: toWireError(err) });
    process.exit(1);
  }
  collectGarbage();
  send({ kind: 'ready', info: captioner.info(), stats: captioner.memory() });
  port.on('message', (message) => {
    const req = WorkerRequestSchema.parse(message);
    handle(captioner, req, send).then(
      ({ reply, transfer }) => send(reply, transfer),
      (err) => send({ kind: 'error', id: req.id, stats: captioner.memory(), error: toWireError(err) }),
    );
  });
}

/**
 * Loading leaves ~100 MB of garbage per worker (float32 weights, the graphs' bytes) that an idle
 * V8 may keep for a long time, and workers × that is most of the RSS budget: collect it once now.
 */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

async function handle(captioner: Captioner, req: WorkerRequest, send: (m: WorkerReply) => void): Promise<{ reply: JobReply; transfer: ArrayBuffer[] }> {
  if (req.kind === 'caption') {
    // Words go out as they are decoded, only for the parts that stream them; the port delivers
    // them even while this thread is busy.
    const parts = req.parts.map((p, part): CaptionPart => ({
      images: p.images.map(fromWire),
      plan: p.plan,
      onWord: p.words ? (image, token) => send({ kind: 'word', id: req.id, part, image, token }) : undefined,
    }));
    const out = await captioner.captionParts(parts);
    const captioned = out.map((images) => images.map(({ result, hypothesis }) => ({ result, hypothesis })));
    return { reply: { kind: 'captioned', id: req.id, stats: captioner.memory(), parts: captioned }, transfer: [] };
  }
  const out = await captioner.overlay(fromWire(req.image), req.plan, req.draw);
  return { reply: { kind: 'drawn', id: req.id, stats: captioner.memory(), image: out.image, caption: out.caption, words: out.words }, transfer: transferable([out.image]) };
}
