import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { DecoderConfigSchema, type DecoderConfig } from './config.ts';
import { paramLayout } from './params.ts';
import { Vocabulary } from '../data/vocab.ts';
import { decodeHalf, encodeHalf } from '../util/float16.ts';

/**
 * A saved decoder is a folder: config.json (architecture, encoder, vocabulary size),
 * vocab.json, weights.bin (all parameters in layout order, float16 or float32, little-endian)
 * and optionally card.json (training facts and scores). Pure JS, so it loads on every backend.
 */
export const WeightsManifestSchema = z.object({
  dtype: z.enum(['float16', 'float32']),
  params: z.array(z.object({ name: z.string(), shape: z.array(z.number().int()) })),
});

export const SavedConfigSchema = DecoderConfigSchema.extend({ weights: WeightsManifestSchema });

export interface SavedDecoder {
  config: DecoderConfig;
  vocab: Vocabulary;
  params: Float32Array;
  card?: Record<string, unknown>;
}

export async function saveDecoder(dir: string, d: SavedDecoder, dtype: 'float16' | 'float32' = 'float16'): Promise<void> {
  await mkdir(dir, { recursive: true });
  const { specs } = paramLayout(d.config);
  const bytes = dtype === 'float16' ? new Uint8Array(encodeHalf(d.params).buffer) : new Uint8Array(d.params.buffer, d.params.byteOffset, d.params.byteLength);
  const config = { ...d.config, weights: { dtype, params: specs.map((s) => ({ name: s.name, shape: s.shape })) } };
  // Write to temporary names, then rename: a killed process never leaves a half-written model.
  const files: [string, string | Uint8Array][] = [
    ['weights.bin', bytes],
    ['vocab.json', JSON.stringify(d.vocab.toJSON())],
    ['config.json', JSON.stringify(config, null, 2) + '\n'],
  ];
  if (d.card) files.push(['card.json', JSON.stringify(d.card, null, 2) + '\n']);
  for (const [name, data] of files) await writeFile(join(dir, name + '.tmp'), data);
  for (const [name] of files) await rename(join(dir, name + '.tmp'), join(dir, name));
}

export async function loadDecoder(dir: string): Promise<SavedDecoder> {
  const configPath = join(dir, 'config.json');
  if (!existsSync(configPath)) throw new Error(`no decoder at ${dir} (config.json missing)`);
  const saved = SavedConfigSchema.parse(JSON.parse(await readFile(configPath, 'utf8')));
  const { weights, ...config } = saved;
  const vocab = Vocabulary.fromJSON(JSON.parse(await readFile(join(dir, 'vocab.json'), 'utf8')));
  const { specs, total } = paramLayout(config);
  weights.params.forEach((p, i) => {
    if (specs[i]?.name !== p.name || specs[i].shape.join() !== p.shape.join())
      throw new Error(`${configPath}: parameter ${i} is ${p.name} [${p.shape}], expected ${specs[i]?.name} [${specs[i]?.shape}]`);
  });
  const raw = await readFile(join(dir, 'weights.bin'));
  const width = weights.dtype === 'float16' ? 2 : 4;
  if (raw.byteLength !== total * width) throw new Error(`${dir}/weights.bin has ${raw.byteLength} bytes, expected ${total * width}`);
  const copy = new Uint8Array(raw.byteLength);
  copy.set(raw);
  const params = weights.dtype === 'float16' ? decodeHalf(new Uint16Array(copy.buffer)) : new Float32Array(copy.buffer);
  const cardPath = join(dir, 'card.json');
  const card = existsSync(cardPath) ? (JSON.parse(await readFile(cardPath, 'utf8')) as Record<string, unknown>) : undefined;
  return { config, vocab, params, card };
}
