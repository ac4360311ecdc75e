import ort from 'onnxruntime-node';
import type { Vocabulary } from '../data/vocab.ts';
import { SyncSession } from '../runtime/ort-sync.ts';
import { sampleIndex } from '../util/rng.ts';
import type { DecoderConfig } from './config.ts';
import { attendGraph, initGraph, locateGraph, stepGraph } from './onnx-decoder.ts';
import { paramLayout } from './params.ts';
import type { ContextMode, StepDecoder, StepResult } from './step.ts';

/**
 * Rows of hypotheses on ONNX Runtime. The annotation vectors a and their projection P stay per
 * image (beams of one image share them; `img` maps rows to images), so reordering beams only
 * moves h and c.
 */
export interface OrtState {
  a: ort.Tensor; // [N, L, D]
  P: ort.Tensor; // [N, L, A]
  img: BigInt64Array; // [K]
  h: Float32Array; // [K, n]
  c: Float32Array; // [K, n]
}

/** The decoder on onnxruntime-node: same equations and parameters as the tfjs Decoder. */
export class OrtDecoder implements StepDecoder<OrtState> {
  readonly runtime = 'ort' as const;
  private readonly initS: SyncSession;
  private readonly stepS: SyncSession;
  private readonly attendS: SyncSession; // α_t alone, for sampled locations (hard attention)
  private readonly locateS: SyncSession; // log p(word | s_t = i) for focus maps (output-layer weights only)

  constructor(
    readonly config: DecoderConfig,
    readonly vocab: Vocabulary,
    flat: Float32Array,
    opts: { intraOpThreads: number },
  ) {
    if (vocab.size !== config.vocabSize) throw new Error(`vocabulary has ${vocab.size} words, config says ${config.vocabSize}`);
    const { total } = paramLayout(config);
    if (flat.length !== total) throw new Error(`expected ${total} parameters, got ${flat.length}`);
    this.initS = new SyncSession(initGraph(config, flat), opts);
    this.stepS = new SyncSession(stepGraph(config, flat), opts);
    this.attendS = new SyncSession(attendGraph(config, flat), opts); // small: W_h and w only
    // Built now, not on first use: keeping `flat` for later would hold all the float32 weights.
    this.locateS = new SyncSession(locateGraph(config, flat), opts);
  }

  get regions(): number {
    return this.config.grid.h * this.config.grid.w;
  }

  init(features: Float32Array, count: number): OrtState {
    const L = this.regions;
    const a = new ort.Tensor('float32', features, [count, L, this.config.featureDim]);
    const out = this.initS.run({ features: a });
    return { a, P: out.P, img: BigInt64Array.from({ length: count }, (_, i) => BigInt(i)), h: out.h0.data as Float32Array, c: out.c0.data as Float32Array };
  }

  step(state: OrtState, prev: Int32Array, mode?: ContextMode): StepResult<OrtState> {
    const K = prev.length;
    const L = this.regions;
    const n = this.config.hiddenDim;
    const img = new ort.Tensor('int64', state.img, [K]);
    const h = new ort.Tensor('float32', state.h, [K, n]);
    const override = new Float32Array(K * L);
    let region: Int32Array | undefined;
    if (mode?.kind === 'sample') {
      const alpha = this.attendS.run({ P: state.P, img, h }).alpha.data as Float32Array;
      region = new Int32Array(K);
      for (let k = 0; k < K; k++) override[k * L + (region[k] = sampleIndex(alpha, mode.rng, k * L, L))] = 1; // s_t ~ Multinoulli(α_t) (8)
    }
    const out = this.stepS.run({
      a: state.a, P: state.P, img, h, c: new ort.Tensor('float32', state.c, [K, n]),
      prev: new ort.Tensor('int64', BigInt64Array.from(prev, BigInt), [K]),
      override: new ort.Tensor('float32', override, [K, L]),
      use_override: new ort.Tensor('float32', new Float32Array([region ? 1 : 0]), [1]),
    });
    return {
      logprobs: out.logprobs.data as Float32Array,
      alpha: out.alpha.data as Float32Array,
      beta: out.beta.data as Float32Array,
      region,
      state: { a: state.a, P: state.P, img: state.img, h: out.h2.data as Float32Array, c: out.c2.data as Float32Array },
    };
  }

  hidden(state: OrtState): Float32Array {
    return state.h;
  }

  wordLogLikelihood(features: Float32Array, h: Float32Array, prev: number, beta: number, word: number): Float32Array {
    const out = this.locateS.run({
      a: new ort.Tensor('float32', features, [1, features.length / this.config.featureDim, this.config.featureDim]),
      img: new ort.Tensor('int64', BigInt64Array.of(0n), []),
      prev: new ort.Tensor('int64', BigInt64Array.of(BigInt(prev)), [1]),
      h: new ort.Tensor('float32', h, [1, this.config.hiddenDim]),
      beta: new ort.Tensor('float32', Float32Array.of(beta), [1, 1]),
      word: new ort.Tensor('int64', BigInt64Array.of(BigInt(word)), [1]),
    });
    return out.loglik.data as Float32Array;
  }

  select(state: OrtState, rows: Int32Array): OrtState {
    const n = this.config.hiddenDim;
    const h = new Float32Array(rows.length * n);
    const c = new Float32Array(rows.length * n);
    rows.forEach((r, k) => {
      h.set(state.h.subarray(r * n, (r + 1) * n), k * n);
      c.set(state.c.subarray(r * n, (r + 1) * n), k * n);
    });
    return { a: state.a, P: state.P, img: BigInt64Array.from(rows, (r) => state.img[r]), h, c };
  }

  release(): void {
    // Plain arrays: the garbage collector frees them.
  }

  dispose(): void {
    this.initS.dispose();
    this.stepS.dispose();
    this.attendS.dispose();
    this.locateS.dispose();
  }
}
