// Weight-space interpolation of two fine-tuned decoders (WiSE-FT, Wortsman et al., CVPR 2022,
// "Robust fine-tuning of zero-shot models"): θ = (1 − w)·θ_a + w·θ_b. Two models fine-tuned from
// the same weights lie in one basin, so the mix can keep much of each one's strengths (e.g. b
// trained longer with the attention term, maps that point; a with the better captions). Choose w
// on held-out scores: docs/attention-supervision.md has what it did here.
import type { SavedDecoder } from './io.ts';
import { paramLayout } from './params.ts';

export function interpolateDecoders(a: SavedDecoder, b: SavedDecoder, w: number): SavedDecoder {
  if (!(w >= 0 && w <= 1)) throw new Error(`interpolation weight must be in [0, 1], got ${w}`);
  const la = paramLayout(a.config).specs.map((s) => `${s.name}[${s.shape}]`).join();
  const lb = paramLayout(b.config).specs.map((s) => `${s.name}[${s.shape}]`).join();
  if (la !== lb) throw new Error('the two decoders have different parameter layouts');
  if (a.config.attention !== b.config.attention) throw new Error(`cannot mix ${a.config.attention} and ${b.config.attention} attention`);
  const wa = JSON.stringify(a.vocab.toJSON());
  if (wa !== JSON.stringify(b.vocab.toJSON())) throw new Error('the two decoders have different vocabularies');
  const params = new Float32Array(a.params.length);
  for (let i = 0; i < params.length; i++) params[i] = (1 - w) * a.params[i] + w * b.params[i];
  return { config: a.config, vocab: a.vocab, params };
}
