// An ONNX Runtime inference worker never loads tfjs (about 17 MB resident per worker): neither its
// module graph (the ort decoder traces the equations of src/model/decoder.ts, which is tf-free)
// nor loading a captioner and captioning. The tfjs runtime is the control: the same check sees it.
import t from 'tap';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { makeModelsDir } from '../helpers/server.ts';
import { skipWithoutModel } from '../helpers/shared-dir.ts';

const SCRIPT = fileURLToPath(new URL('../helpers/worker-modules.ts', import.meta.url));

async function tensorflowModules(modelsDir: string, runtime: 'ort' | 'tfjs'): Promise<string[]> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', SCRIPT, modelsDir, runtime], { timeout: 120_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as string[];
}

t.test('the ort worker path loads no @tensorflow module; the tfjs one does', { skip: skipWithoutModel }, async (t) => {
  const { dir, cleanup } = makeModelsDir();
  t.teardown(cleanup);
  t.same(await tensorflowModules(dir, 'ort'), [], 'ort: no tfjs');
  const tfjs = await tensorflowModules(dir, 'tfjs');
  t.ok(tfjs.some((path) => path.includes('@tensorflow/tfjs-core')), `tfjs: tfjs-core is seen (${tfjs.length} modules)`);
});
