import { defaultConfig, type DecoderConfig } from '../../src/model/config.ts';
import { initParams } from '../../src/model/params.ts';
import { Decoder } from '../../src/model/tfjs-decoder.ts';
import { Vocabulary } from '../../src/data/vocab.ts';
import { mulberry32 } from '../../src/util/rng.ts';

/** A small decoder with random weights, for fast tests of decoding and training mechanics. */
export const TINY_WORDS = ['a', 'dog', 'cat', 'runs', 'sits', 'on', 'the', 'grass', 'mat', 'red', 'ball'];

export function tinyVocab(): Vocabulary {
  return Vocabulary.build([TINY_WORDS], 1);
}

export function tinyConfig(over: Partial<DecoderConfig> = {}): DecoderConfig {
  return defaultConfig({
    vocabSize: tinyVocab().size, embedDim: 16, hiddenDim: 24, attentionDim: 12, featureDim: 20, grid: { h: 3, w: 4 }, dropout: 0,
    encoder: { id: 'test', sha256: 'test', inputSize: 224 }, ...over,
  });
}

export function tinyDecoder(seed = 1, over: Partial<DecoderConfig> = {}): Decoder {
  const cfg = tinyConfig(over);
  return new Decoder(cfg, tinyVocab(), initParams(cfg, mulberry32(seed)));
}

export function randomFeatures(n: number, cfg: DecoderConfig, seed = 2): Float32Array {
  const rng = mulberry32(seed);
  return Float32Array.from({ length: n * cfg.grid.h * cfg.grid.w * cfg.featureDim }, () => rng() * 2);
}
