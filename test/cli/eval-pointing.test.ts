// `eval --instances`: the pointing game on real COCO photos with the shipped soft model.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runEval, type EvalResultFile } from '../../src/cli/eval.ts';
import { SHARED_DIR, SHARED_MODELS, skipWithoutModel, skipWithoutShared } from '../helpers/shared-dir.ts';
import { captureStdout } from '../helpers/stdout.ts';

const COCO = join(SHARED_DIR, 'data', 'coco-mini-train');
const skip = skipWithoutModel || skipWithoutShared('COCO mini set', join(COCO, 'instances_train2017.json'));

t.test('the pointing game runs with eval and its summary agrees with its per-word items', { skip }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pointing-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const out = join(dir, 'results.json');
  const lines: string[] = [];
  const { result: code, stdout } = await captureStdout(() =>
    runEval(
      { images: join(COCO, 'train2017'), captions: join(COCO, 'captions_train2017.json'), split: 'all', instances: join(COCO, 'instances_train2017.json'), limit: 12, beam: 1, modelsDir: SHARED_MODELS, cache: join(dir, 'cache'), out },
      (m) => void lines.push(m),
    ),
  );
  t.equal(code, 0, lines.join('\n'));
  t.match(stdout, /pointing game: \d+ grounded words \| hit [\d.]+% \(centre [\d.]+%, random cell [\d.]+%\)/);
  const r = JSON.parse(await readFile(out, 'utf8')) as EvalResultFile;
  const p = r.pointing!;
  t.ok(p.overall.words > 0, `${p.overall.words} grounded words in 12 photos`);
  t.equal(p.items.length, p.overall.words);
  t.ok(Math.abs(p.overall.hitRate - p.items.filter((i) => i.hit).length / p.items.length) < 1e-12, 'hit rate = share of hits');
  const cats = Object.values(p.perCategory).reduce((s, c) => s + c.words, 0);
  t.equal(cats, p.overall.words, 'per-category counts add up');
  // COCO photos are larger than the encoder input: the focus maps are fine ones, as the service's.
  t.equal(r.fineFocus, true, 'fine focus maps');
  t.match(lines.join('\n'), /fine focus maps on 28x28 for the 12 photos larger than 448 px/, 'the fine features were encoded');
  t.equal(r.pointingFocus!.overall.words, p.overall.words, 'the focus maps score the same words');
  for (const i of p.items) {
    t.ok(r.captions.find((c) => c.image === i.image)!.caption.split(' ')[i.index] === i.word, `${i.image}: word ${i.index} is "${i.word}"`);
    t.ok(i.mass >= 0 && i.mass <= 1 + 1e-9 && i.randomHit >= 0 && i.randomHit <= 1);
  }
});

t.test('--instances for other images is a clear error', { skip }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pointing-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const lines: string[] = [];
  const code = await runEval(
    { images: join(COCO, 'train2017'), captions: join(COCO, 'captions_train2017.json'), split: 'all', instances: join(dir, 'missing.json'), limit: 2, modelsDir: SHARED_MODELS, cache: join(dir, 'cache'), out: join(dir, 'r.json') },
    (m) => void lines.push(m),
  );
  t.equal(code, 1);
  t.match(lines.join('\n'), /missing\.json: not a readable JSON file/);
});
