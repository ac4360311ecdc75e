// Adds the COCO category words a trained decoder lacks (src/model/expand-vocab.ts) and writes the
// expanded model folder; the input folder is not changed. Deterministic: the same model and text
// give the same words, sources and weights.
//
//   npx tsx scripts/expand-vocab.ts --model models/soft --out /work/scratch/models/soft \
//       --text ../shared/data/coco-captions-text/captions_val2017_text.json \
//       --text ../shared/data/flickr8k/captions.txt --flickr-split ../shared/data/flickr8k/train.txt
import { copyFile, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadDataset } from '../src/data/load.ts';
import { tokenize } from '../src/data/tokenize.ts';
import { contextVectors } from '../src/data/cooccurrence.ts';
import { expandDecoder, missingCategoryWords, copyCandidates, planExpansion, MIN_COUNT } from '../src/model/expand-vocab.ts';
import { loadDecoder, saveDecoder } from '../src/model/io.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    out: { type: 'string' },
    text: { type: 'string', multiple: true },
    'flickr-split': { type: 'string' },
  },
});
if (!values.model || !values.out || !values.text?.length) throw new Error('usage: --model DIR --out DIR --text FILE [--text FILE …] [--flickr-split FILE]');
if (resolve(values.model) === resolve(values.out)) throw new Error('--out must differ from --model');

const saved = await loadDecoder(values.model);
// Caption text: COCO captions files whole; Flickr8k token files restricted to --flickr-split.
const captions: string[][] = [];
for (const file of values.text) {
  const items = loadDataset({ format: 'auto', captions: file, split: file.endsWith('.txt') ? values['flickr-split'] : undefined });
  for (const it of items) for (const c of it.captions) captions.push(tokenize(c));
}
const targets = new Set([...missingCategoryWords(saved.vocab).map((m) => m.word), ...copyCandidates(saved.vocab)]);
const cv = contextVectors(captions, targets);
const { added, skipped } = planExpansion(saved.vocab, cv);
const expanded = expandDecoder(saved, added, { text: values.text.map((f) => f.split('/').slice(-2).join('/')), flickrSplit: values['flickr-split']?.split('/').pop() ?? null, captions: captions.length });
await saveDecoder(values.out, expanded);
// Everything else in the folder (README, curve) comes along unchanged.
for (const f of await readdir(values.model)) if (!['config.json', 'vocab.json', 'weights.bin', 'card.json'].includes(f)) await copyFile(join(values.model, f), join(values.out, f));
for (const a of added) console.log(`${a.word.padEnd(14)} ${a.category.padEnd(14)} ← ${a.from} (${a.similarity.toFixed(3)})`);
if (skipped.length) console.log(`fewer than ${MIN_COUNT} occurrences in the text, not added: ${skipped.join(', ')}`);
console.log(`${values.model}: vocabulary ${saved.vocab.size} → ${expanded.vocab.size}; wrote ${values.out}`);
