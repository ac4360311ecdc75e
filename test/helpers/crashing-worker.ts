// A worker thread entry for tests: the real inference worker, plus 'crash' messages that make it
// fail the way a bug would (TestExecutor.crash); every other message goes to the real worker.
import { parentPort } from 'node:worker_threads';
import { serve as serveCaptioner, type WorkerPort } from '../../src/engine/inference-worker.ts';

export function serve(): Promise<void> {
  const port = parentPort!;
  const wrapped: WorkerPort = {
    on: (_event, listener) => port.on('message', (m: { kind?: string; how?: string }) => {
      if (m?.kind !== 'crash') return listener(m);
      if (m.how === 'exit') process.exit(70);
      setImmediate(() => { throw new Error('simulated inference worker crash'); });
    }),
    postMessage: (m, transfer) => port.postMessage(m, transfer),
  };
  return serveCaptioner(wrapped);
}
