// `caption` with the object detector in MODELS_DIR: the JSONL line lists the detections, object
// words carry their grounding, and the overlay sheet outlines the grounded word's box.
import t from 'tap';
import { copyFile, readFile, symlink } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import sharp from 'sharp';
import { runCaption } from '../../src/cli/caption.ts';
import { BOX_COLOR } from '../../src/render/box-style.ts';
import { DETECTOR_DIR, MODEL_FILE, SHARED_DIR, skipWithoutDetector } from '../helpers/shared-dir.ts';

const SOFT = fileURLToPath(new URL('../../models/soft', import.meta.url));
const PHOTO = join(SHARED_DIR, 'data', 'coco-mini-train', 'train2017', '000000544238.jpg'); // a batter: COCO boxes a person
const skip = skipWithoutDetector || (existsSync(PHOTO) ? false : `${PHOTO} not found`) || (existsSync(join(SOFT, 'config.json')) ? false : `no trained decoder in ${SOFT}`);

t.test('grounded JSONL and sheet', { skip }, async (t) => {
  const root = t.testdir({ photos: {}, models: {} });
  const models = join(root, 'models');
  await symlink(MODEL_FILE, join(models, 'mobilenetv2-12-int8.onnx'));
  await symlink(SOFT, join(models, 'soft'));
  await symlink(DETECTOR_DIR!, join(models, 'detector'));
  await copyFile(PHOTO, join(root, 'photos', 'batter.jpg'));
  const sink = () => new Writable({ write(_c, _e, cb) { cb(); } });
  const run = (out: string, extra: Record<string, string | number | boolean> = {}) =>
    runCaption([join(root, 'photos')], { beamSize: 3, out, overlays: true, modelsDir: models, ...extra }, { stdout: sink(), stderr: sink(), env: {} });

  t.equal(await run(join(root, 'on')), 0);
  const line = JSON.parse((await readFile(join(root, 'on', 'captions.jsonl'), 'utf8')).trim());
  t.comment(`caption: "${line.caption}"`);
  t.ok(line.detections?.some((d: { category: string }) => d.category === 'person'), 'the person is listed');
  const word = line.tokens.findIndex((x: { grounding?: { box?: unknown } }) => x.grounding?.box);
  t.ok(word >= 0, 'a word is grounded in a box');
  const boxPixels = async (file: string) => {
    const { data } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    let n = 0;
    for (let i = 0; i + 2 < data.length; i += 3) if (data[i] === BOX_COLOR[0] && data[i + 1] === BOX_COLOR[1] && data[i + 2] === BOX_COLOR[2]) n++;
    return n;
  };
  t.ok(await boxPixels(join(root, 'on', line.overlay)) > 100, 'the sheet outlines it');

  t.equal(await run(join(root, 'off'), { grounding: false }), 0);
  const off = JSON.parse((await readFile(join(root, 'off', 'captions.jsonl'), 'utf8')).trim());
  t.equal(off.detections, undefined, '--no-grounding: no detections');
  t.equal(await boxPixels(join(root, 'off', off.overlay)), 0, 'and no box');
});
