// Run as a child process (node --import tsx): loads what an inference worker loads — its module
// graph, then a Captioner on the runtime given (argv: models dir, runtime) captioning one image —
// and prints the @tensorflow modules that ended up in the CommonJS cache (Node loads tfjs-core's
// CommonJS build, also when imported from ESM) as a JSON array.
import { createRequire } from 'node:module';
import sharp from 'sharp';
import '../../src/engine/inference-worker.ts';
import { Captioner } from '../../src/pipeline/captioner.ts';
import { parsePlan } from '../../src/service/options.ts';
import type { DecoderRuntime } from '../../src/model/step.ts';

const [modelsDir, runtime] = process.argv.slice(2) as [string, DecoderRuntime];
const captioner = await Captioner.load({ modelsDir, allowDownload: false, runtime });
const image = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#6a8' } }).png().toBuffer();
await captioner.caption([await captioner.prepare(image)], parsePlan({}));
await captioner.dispose();
const cache = createRequire(import.meta.url).cache;
console.log(JSON.stringify(Object.keys(cache).filter((path) => path.includes('@tensorflow'))));
