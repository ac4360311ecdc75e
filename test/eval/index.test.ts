import { readFileSync } from 'node:fs';
import t from 'tap';
import * as metrics from '../../src/eval/index.ts';
import { formatScores, scoreAll } from '../../src/eval/index.ts';

// Values produced by the coco-caption scorers themselves (see the fixture's description).
interface VectorItem {
  hypothesis: string;
  references: string[];
  bleu: number[];
  cider_d: number;
  rouge_l: number;
}
const vectors = JSON.parse(
  readFileSync(new URL('../fixtures/metrics-vectors.json', import.meta.url), 'utf8'),
) as { corpus: Record<string, number>; items: VectorItem[] };

const TOL = 1e-6;

t.test('reproduces coco-caption on the 200 test vectors', async (t) => {
  const s = scoreAll(vectors.items);
  const c = vectors.corpus;
  let maxDiff = 0;
  const check = (got: number, want: number, what: string) => {
    const d = Math.abs(got - want);
    maxDiff = Math.max(maxDiff, d);
    if (!(d <= TOL)) t.fail(`${what}: got ${got}, want ${want}`);
  };
  check(s.bleu1, c.bleu1, 'corpus bleu1');
  check(s.bleu2, c.bleu2, 'corpus bleu2');
  check(s.bleu3, c.bleu3, 'corpus bleu3');
  check(s.bleu4, c.bleu4, 'corpus bleu4');
  check(s.ciderD, c.cider_d, 'corpus cider_d');
  check(s.rougeL, c.rouge_l, 'corpus rouge_l');
  t.equal(s.perItem.length, vectors.items.length);
  vectors.items.forEach((it, i) => {
    const p = s.perItem[i];
    it.bleu.forEach((b, k) => check(p.bleu[k], b, `item ${i} bleu${k + 1}`));
    check(p.ciderD, it.cider_d, `item ${i} cider_d`);
    check(p.rougeL, it.rouge_l, `item ${i} rouge_l`);
  });
  t.comment(`max abs diff vs coco-caption: ${maxDiff.toExponential(2)}`);
  t.ok(maxDiff <= TOL, `max abs diff ${maxDiff} <= ${TOL}`);
});

t.test('formatScores prints one line, x100', async (t) => {
  const line = formatScores({ bleu1: 0.5919927, bleu2: 0.3969053, bleu3: 0.2752599, bleu4: 0.1872562, ciderD: 0.6552686, rougeL: 0.4321001 });
  t.equal(line, 'BLEU-1 59.20 | BLEU-2 39.69 | BLEU-3 27.53 | BLEU-4 18.73 | CIDEr-D 65.53 | ROUGE-L 43.21');
});

t.test('no METEOR look-alike is exported', async (t) => {
  t.same(Object.keys(metrics).filter((k) => /meteor/i.test(k)), []);
});
