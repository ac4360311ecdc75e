import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

/** Everything a resumed run needs to continue exactly where it stopped. */
export const TrainStateSchema = z.object({
  epoch: z.number().int(),
  batchIndex: z.number().int(), // next batch of `epoch`
  step: z.number().int(),
  adamT: z.number().int(),
  baseline: z.number().nullable(), // REINFORCE moving average of log p
  bestBleu4: z.number(),
  bestScore: z.number().optional(), // best dev score by the run's selectBy metric (older checkpoints: BLEU-4)
  lr: z.number().optional(), // current learning rate (plateau schedule); absent in older checkpoints
  lrBadEpochs: z.number().int().optional(), // epochs since the last improvement or lr decay
  bestEpoch: z.number().int(),
  badEpochs: z.number().int(),
  elapsedSec: z.number(),
  captionsSeen: z.number().int(),
  finished: z.boolean(),
});
export type TrainState = z.infer<typeof TrainStateSchema>;

const FILES = ['params.f32', 'adam-m.f32', 'adam-v.f32'] as const;

export async function saveCheckpoint(dir: string, state: TrainState, arrays: [Float32Array, Float32Array, Float32Array]): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [i, name] of FILES.entries()) {
    const a = arrays[i];
    await writeFile(join(dir, name + '.tmp'), new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  await writeFile(join(dir, 'state.json.tmp'), JSON.stringify(state, null, 2));
  // state.json is renamed last: it is the commit point of a checkpoint.
  for (const name of FILES) await rename(join(dir, name + '.tmp'), join(dir, name));
  await rename(join(dir, 'state.json.tmp'), join(dir, 'state.json'));
}

export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, 'state.json'));
}

export async function loadCheckpoint(dir: string, into: [Float32Array, Float32Array, Float32Array]): Promise<TrainState> {
  const state = TrainStateSchema.parse(JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')));
  for (const [i, name] of FILES.entries()) {
    const buf = await readFile(join(dir, name));
    if (buf.byteLength !== into[i].byteLength) throw new Error(`${dir}/${name}: size ${buf.byteLength}, expected ${into[i].byteLength} (different model settings?)`);
    into[i].set(new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)));
  }
  return state;
}
