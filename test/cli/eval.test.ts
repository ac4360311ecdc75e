// End to end: `eval` on a tiny generated Flickr8k-style split with a random decoder and the real encoder.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import t from 'tap';
import { runEval, type EvalResultFile } from '../../src/cli/eval.ts';
import { defaultConfig } from '../../src/model/config.ts';
import { initParams } from '../../src/model/params.ts';
import { saveDecoder } from '../../src/model/io.ts';
import { Vocabulary } from '../../src/data/vocab.ts';
import { tokenize } from '../../src/data/tokenize.ts';
import { encoderManifest } from '../../src/encoder/manifest.ts';
import { mulberry32 } from '../../src/util/rng.ts';
import { SHARED_MODELS, skipWithoutModel } from '../helpers/shared-dir.ts';
import { captureStdout } from '../helpers/stdout.ts';

const CAPTIONS: Record<string, string[]> = {
  'red.jpg': ['A red square on a wall .', 'a big red box', 'red paint covers everything', 'A red picture .', 'something red'],
  'green.jpg': ['A green field of grass .', 'green grass', 'a dog runs on the green grass', 'Green .', 'a field'],
  'blue.jpg': ['The blue sky .', 'a blue sky with no clouds', 'blue water', 'A man swims in blue water .', 'sky'],
};

async function fixture() {
  const dir = await mkdtemp(join(tmpdir(), 'eval-cli-'));
  const images = join(dir, 'images');
  await mkdir(images, { recursive: true });
  const colors = { 'red.jpg': { r: 220, g: 20, b: 20 }, 'green.jpg': { r: 20, g: 200, b: 40 }, 'blue.jpg': { r: 30, g: 60, b: 230 } };
  await Promise.all(
    Object.entries(colors).map(([name, background]) => sharp({ create: { width: 64, height: 48, channels: 3, background } }).jpeg().toFile(join(images, name))),
  );
  const captions = join(dir, 'Flickr8k.token.txt');
  await writeFile(captions, Object.entries(CAPTIONS).flatMap(([img, cs]) => cs.map((c, i) => `${img}#${i}\t${c}`)).join('\n') + '\n');
  const split = join(dir, 'test.txt');
  await writeFile(split, Object.keys(CAPTIONS).join('\n') + '\n');

  const vocab = Vocabulary.build(Object.values(CAPTIONS).flat().map(tokenize), 1);
  const config = defaultConfig({
    vocabSize: vocab.size, embedDim: 8, hiddenDim: 8, attentionDim: 8, featureDim: 1280, grid: { h: 7, w: 7 }, dropout: 0, maxLength: 20,
    encoder: { id: encoderManifest.id, sha256: encoderManifest.sha256, inputSize: 224 },
  });
  const model = join(dir, 'model');
  await saveDecoder(model, { config, vocab, params: initParams(config, mulberry32(7)) });
  return { dir, images, captions, split, model, cache: join(dir, 'cache') };
}

const quiet = () => {
  const lines: string[] = [];
  return { lines, log: (m: string) => void lines.push(m) };
};

t.test('captions and scores a tiny split end to end', { skip: skipWithoutModel }, async (t) => {
  const f = await fixture();
  t.teardown(() => rm(f.dir, { recursive: true, force: true }));
  const out = join(f.dir, 'out', 'results.json');
  const { lines, log } = quiet();
  const run = await captureStdout(() =>
    runEval({ images: f.images, captions: f.captions, split: f.split, model: f.model, beam: 2, maxLength: 6, out, modelsDir: SHARED_MODELS, cache: f.cache }, log),
  );
  let code = run.result;
  t.equal(code, 0, lines.join('\n'));
  const printed = run.stdout;
  t.match(printed, /BLEU-1 [\d.]+ \| BLEU-2 .* CIDEr-D [\d.]+ \| ROUGE-L [\d.]+/, 'prints the score table');
  t.match(printed, /METEOR: not computed/);

  const json = JSON.parse(await readFile(out, 'utf8')) as EvalResultFile;
  t.equal(json.model, f.model);
  t.equal(json.beam, 2);
  t.same(Object.keys(json.scores).sort(), ['bleu1', 'bleu2', 'bleu3', 'bleu4', 'ciderD', 'rougeL']);
  t.notOk('perItem' in json.scores, 'per-item scores are not in scores');
  for (const k of ['bleu1', 'bleu2', 'bleu3', 'bleu4', 'rougeL'] as const) t.ok(json.scores[k] >= 0 && json.scores[k] <= 1, `${k} in [0, 1]`);
  t.ok(json.scores.ciderD >= 0 && json.scores.ciderD <= 10, 'CIDEr-D in [0, 10]');
  t.equal(json.captions.length, 3);
  t.same(json.captions.map((c) => c.image).sort(), Object.keys(CAPTIONS).sort());
  for (const c of json.captions) {
    t.type(c.caption, 'string');
    t.ok(c.caption.split(' ').filter(Boolean).length <= 6, 'respects --max-length');
    t.equal(c.references.length, 5, 'all references of the image');
    t.same(c.references, CAPTIONS[c.image].map((r) => tokenize(r).join(' ')), 'normalised references');
    t.ok(c.bleu4 === undefined || (c.bleu4 >= 0 && c.bleu4 <= 1));
    t.ok(c.ciderD === undefined || (c.ciderD >= 0 && c.ciderD <= 10));
  }

  // A second run reuses the feature cache (one keyed folder) and honours --limit and greedy decoding.
  const out2 = join(f.dir, 'greedy.json');
  const silenced = quiet();
  code = (await captureStdout(() => runEval({ images: f.images, captions: f.captions, split: f.split, model: f.model, beam: 1, limit: 2, out: out2, modelsDir: SHARED_MODELS, cache: f.cache }, silenced.log))).result;
  t.equal(code, 0, silenced.lines.join('\n'));
  const json2 = JSON.parse(await readFile(out2, 'utf8')) as EvalResultFile;
  t.equal(json2.captions.length, 2);
  t.equal(json2.beam, 1);
  t.equal((await readdir(f.cache)).length, 1, 'one cache folder, reused');
});

t.test('missing --split: non-zero exit and a clear message', async (t) => {
  const { lines, log } = quiet();
  const code = await runEval({ images: 'imgs', captions: 'captions.txt', out: join(tmpdir(), 'never.json') }, log);
  t.not(code, 0);
  t.match(lines.join('\n'), /--split is required/);
  t.notOk(existsSync(join(tmpdir(), 'never.json')), 'nothing written');
});

t.test('bad values and unknown options are named', async (t) => {
  const { lines, log } = quiet();
  const code = await runEval({ images: 'i', captions: 'c', split: 's', beam: 0, lengthPenalty: 'x', bem: 3 }, log);
  t.equal(code, 2);
  const msg = lines.join('\n');
  t.match(msg, /--beam expects a whole number/);
  t.match(msg, /--length-penalty expects a number/);
  t.match(msg, /unknown option --bem/);
});

t.test('a missing captions file is a clear error, not a crash', async (t) => {
  const { lines, log } = quiet();
  const code = await runEval({ images: 'i', captions: '/nonexistent/captions.txt', split: 's' }, log);
  t.equal(code, 1);
  t.match(lines.join('\n'), /captions file not found: \/nonexistent\/captions.txt/);
});

t.test('--help prints usage and exits 0', async (t) => {
  const { result: code, stdout } = await captureStdout(() => runEval({ help: true }));
  t.equal(code, 0);
  t.match(stdout, /--images DIR.*--captions FILE.*--split/s);
  t.match(stdout, /METEOR is not computed/);
});
