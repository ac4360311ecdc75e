import { z } from 'zod';

// Special tokens come first so their ids are fixed across vocabularies.
export const PAD = '<pad>';
export const START = '<start>';
export const END = '<end>';
export const UNK = '<unk>';
export const SPECIALS = [PAD, START, END, UNK] as const;
export const PAD_ID = 0;
export const START_ID = 1;
export const END_ID = 2;
export const UNK_ID = 3;

export const VocabSchema = z.object({ words: z.array(z.string()).min(SPECIALS.length) });
export type VocabJSON = z.infer<typeof VocabSchema>;

export class Vocabulary {
  readonly words: string[];
  private readonly ids: Map<string, number>;

  constructor(words: string[]) {
    SPECIALS.forEach((s, i) => {
      if (words[i] !== s) throw new Error(`vocabulary must start with ${SPECIALS.join(' ')}`);
    });
    this.words = words;
    this.ids = new Map(words.map((w, i) => [w, i]));
  }

  /** Words seen at least `minCount` times, most frequent first (ties alphabetical, for determinism). */
  static build(tokenized: Iterable<string[]>, minCount = 5): Vocabulary {
    const counts = new Map<string, number>();
    for (const tokens of tokenized) for (const w of tokens) counts.set(w, (counts.get(w) ?? 0) + 1);
    const kept = [...counts].filter(([, c]) => c >= minCount).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    return new Vocabulary([...SPECIALS, ...kept.map(([w]) => w)]);
  }

  static fromJSON(json: unknown): Vocabulary {
    return new Vocabulary(VocabSchema.parse(json).words);
  }

  toJSON(): VocabJSON {
    return { words: this.words };
  }

  get size(): number {
    return this.words.length;
  }

  /** Whether the word is in the vocabulary (special tokens excluded). */
  has(word: string): boolean {
    return (this.ids.get(word) ?? 0) >= SPECIALS.length;
  }

  id(word: string): number {
    return this.ids.get(word) ?? UNK_ID;
  }

  /** Token ids of a caption: <start> w1 .. wn <end>. */
  encode(tokens: string[]): number[] {
    return [START_ID, ...tokens.map((w) => this.id(w)), END_ID];
  }

  /** Words of generated ids, stopping at <end> and skipping specials other than <unk>. */
  decode(ids: number[]): string[] {
    const out: string[] = [];
    for (const id of ids) {
      if (id === END_ID) break;
      if (id === PAD_ID || id === START_ID) continue;
      out.push(this.words[id] ?? UNK);
    }
    return out;
  }
}
