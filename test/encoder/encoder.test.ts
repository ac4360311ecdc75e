import sharp from 'sharp';
import t from 'tap';
import { Encoder } from '../../src/encoder/encoder.ts';
import { prepareImage } from '../../src/encoder/preprocess.ts';
import { SHARED_MODELS, skipWithoutModel } from '../helpers/shared-dir.ts';

/** A deterministic non-trivial test image: a diagonal gradient. */
async function gradient(): Promise<Buffer> {
  const raw = Buffer.alloc(160 * 120 * 3);
  for (let i = 0; i < 160 * 120; i++) {
    const x = i % 160, y = Math.floor(i / 160);
    raw[i * 3] = x; raw[i * 3 + 1] = y * 2; raw[i * 3 + 2] = (x + y) % 256;
  }
  return sharp(raw, { raw: { width: 160, height: 120, channels: 3 } }).png().toBuffer();
}

for (const [size, grid] of [[224, 7], [448, 14]] as const) {
  t.test(`features at ${size}: shape [1,${grid * grid},1280], deterministic`, { skip: skipWithoutModel }, async (t) => {
    const encoder = await Encoder.load({ modelsDir: SHARED_MODELS, inputSize: size });
    t.teardown(() => encoder.dispose());
    t.same(encoder.grid, { h: grid, w: grid });
    t.equal(encoder.featureDim, 1280);
    t.equal(encoder.id, 'mobilenetv2-12-int8');
    const { tensor } = await prepareImage(await gradient(), size);
    const a = await encoder.encode([tensor]);
    const b = await encoder.encode([tensor]);
    t.equal(a.features.length, 1 * grid * grid * 1280);
    t.equal(a.logits.length, 1000);
    t.same(a.features, b.features, 'identical features on a second run');
    t.ok(a.features.some((v) => v > 0), 'not all zero');

    const batch = await encoder.encode([tensor, tensor]);
    t.same(batch.features.subarray(grid * grid * 1280), a.features, 'batched row equals the single run');
  });
}

t.test('topTags: softmax scores, best first, named labels', { skip: skipWithoutModel }, async (t) => {
  const encoder = await Encoder.load({ modelsDir: SHARED_MODELS, inputSize: 224 });
  t.teardown(() => encoder.dispose());
  const logits = new Float32Array(1000);
  logits[1] = 20; logits[2] = 18;
  const tags = encoder.topTags(logits, 3);
  t.equal(tags.length, 3);
  t.match(tags[0].label, /goldfish/);
  t.ok(tags[0].score > tags[1].score && tags[1].score > tags[2].score);
  t.ok(tags[0].score < 1 && tags[0].score > 0.8);
});
