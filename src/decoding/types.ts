/** One generated word with what the model looked at while producing it. */
export interface WordStep {
  id: number;
  word: string;
  logprob: number; // log p(word | previous words, image)
  beta: number; // gate β_t: how much the context counted
  alpha: Float32Array; // attention α_t over the L = h*w regions (sums to 1); empty when decoded without maps
  region?: number; // hard attention, sampled: the region s_t the context came from
  hidden?: Float32Array; // h_t, kept with the maps: focus maps need it (./focus.ts)
  focus?: Float32Array; // object words: p(s_t = i | y_t), where the word's evidence is (./focus.ts)
  focusGrid?: { h: number; w: number }; // the focus map's grid when finer than α_t's (fine focus, ./focus.ts)
}

export interface Hypothesis {
  ids: number[]; // without <start>; ends before <end>
  words: string[];
  logprob: number; // Σ log p over the words and the final <end>
  score: number; // what the search ranked by (logprob, or length-normalised)
  steps: WordStep[];
  truncated?: boolean; // true when maxLength forced the <end>
}
