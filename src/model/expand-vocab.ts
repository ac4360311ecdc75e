// Vocabulary expansion for COCO object categories the decoder never learnt (DCC, Hendricks et al.
// 2016, "direct transfer"): 26 of the 80 categories have no word in the Flickr8k vocabulary
// (zebra, giraffe, banana, donut, sink, …). Each new word gets a copy of the
// embedding row, output-layer column and output bias of the known object word used in the most
// similar contexts of caption text (src/data/cooccurrence.ts): the decoder then says "zebra"
// exactly where it would have said "horse". The new words are listed in the config's
// `supportedOnly`: the search says them only when the detector or the encoder's ImageNet classes
// support their category (src/decoding/grounding.ts), so with grounding off they are never said.
//
// Which words: for every COCO category none of whose words (CATEGORY_WORDS) is in the vocabulary,
// all its single words (singular and plural forms as listed). Categories captions only name with
// two words (stop sign, parking meter, baseball bat, mouse) get none. Candidates to copy from: the
// in-vocabulary words of other, non-person categories (every missing category is a thing).
import type { SavedDecoder } from './io.ts';
import { paramLayout, view, type ParamName } from './params.ts';
import { Vocabulary } from '../data/vocab.ts';
import { nearest, type ContextVectors } from '../data/cooccurrence.ts';
import { CATEGORY_WORDS } from '../grounding/categories.ts';

export interface AddedWord {
  word: string;
  category: string;
  from: string; // the known word whose rows it copies
  similarity: number; // cosine of their PPMI context vectors
}

/** Occurrences in the caption text a word needs for its context vector to count. */
export const MIN_COUNT = 20;
export const MIN_SOURCE_COUNT = 100;

/** Words of the categories that have none in the vocabulary, with their category. */
export function missingCategoryWords(vocab: Vocabulary): { word: string; category: string }[] {
  return Object.entries(CATEGORY_WORDS)
    .filter(([, words]) => !words.some((w) => vocab.has(w)))
    .flatMap(([category, words]) => words.map((word) => ({ word, category })));
}

/** The known object words a new word may copy: in the vocabulary, naming a non-person category. */
export function copyCandidates(vocab: Vocabulary): string[] {
  const objectWords = new Set(Object.entries(CATEGORY_WORDS).filter(([c]) => c !== 'person').flatMap(([, ws]) => ws));
  return vocab.words.filter((w) => objectWords.has(w));
}

/**
 * Chooses the source word of each missing word. A new word must occur at least MIN_COUNT times in
 * the text (a context vector from a handful of captions is noise; rarer words are skipped), a
 * source MIN_SOURCE_COUNT times (a common word, whose vector and whose rows in the decoder are
 * both well estimated).
 */
export function planExpansion(vocab: Vocabulary, cv: ContextVectors): { added: AddedWord[]; skipped: string[] } {
  const count = (w: string) => cv.counts.get(w) ?? 0;
  const enough = (w: string) => count(w) >= MIN_COUNT;
  const candidates = copyCandidates(vocab).filter((w) => count(w) >= MIN_SOURCE_COUNT);
  const added: AddedWord[] = [];
  const skipped: string[] = [];
  for (const { word, category } of missingCategoryWords(vocab)) {
    const best = enough(word) ? nearest(cv, word, candidates) : undefined;
    if (best) added.push({ word, category, from: best.word, similarity: Math.round(best.similarity * 1e4) / 1e4 });
    else skipped.push(word);
  }
  return { added, skipped };
}

/** Rows indexed by vocabulary id, per parameter: [V, m] (by row) or [m, V] / [V] (by column). */
const BY_WORD: Partial<Record<ParamName, 'row' | 'column'>> = { embed: 'row', outW: 'column', outB: 'column' };

/**
 * A copy of the decoder with the words appended to its vocabulary (ids V, V+1, …), each with the
 * parameters of its source word; the config's vocabSize and supportedOnly and the card updated.
 */
export function expandDecoder(saved: SavedDecoder, added: readonly AddedWord[], note: Record<string, unknown> = {}): SavedDecoder {
  const { config, vocab, params } = saved;
  const V = config.vocabSize;
  const fresh = added.filter((a) => !vocab.has(a.word));
  const from = fresh.map((a) => {
    if (!vocab.has(a.from)) throw new Error(`expand-vocab: source word "${a.from}" is not in the vocabulary`);
    return vocab.id(a.from);
  });
  const V2 = V + fresh.length;
  const config2 = { ...config, vocabSize: V2, supportedOnly: [...(config.supportedOnly ?? []), ...fresh.map((a) => a.word)] };
  const oldLayout = paramLayout(config);
  const newLayout = paramLayout(config2);
  const out = new Float32Array(newLayout.total);
  newLayout.specs.forEach((spec, i) => {
    const src = view(params, oldLayout.specs[i]);
    const dst = view(out, spec);
    const how = BY_WORD[spec.name];
    if (!how) return dst.set(src);
    if (how === 'row') {
      const m = spec.shape[1];
      dst.set(src);
      from.forEach((id, k) => dst.set(src.subarray(id * m, (id + 1) * m), (V + k) * m));
      return;
    }
    // [m, V] → [m, V2] (outB is one row): old columns, then the copied ones
    const rows = spec.shape.length === 2 ? spec.shape[0] : 1;
    for (let r = 0; r < rows; r++) {
      dst.set(src.subarray(r * V, (r + 1) * V), r * V2);
      from.forEach((id, k) => { dst[r * V2 + V + k] = src[r * V + id]; });
    }
  });
  const previous = (saved.card?.vocabularyExpansion as { words?: AddedWord[] } | undefined)?.words ?? [];
  const card = {
    ...saved.card,
    vocabularyExpansion: {
      method: 'DCC direct transfer (Hendricks et al. 2016): embedding row, output column and output bias copied from the known object word with the most similar PPMI context vector (±2 words) in caption text; said only when the detector or ImageNet supports the category (config supportedOnly)',
      ...note,
      words: [...previous, ...fresh],
    },
  };
  return { config: config2, vocab: new Vocabulary([...vocab.words, ...fresh.map((a) => a.word)]), params: out, card };
}
