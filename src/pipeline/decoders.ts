// One decoder the captioner serves, built when first needed. Each ONNX Runtime decoder holds its
// weights as float32 (≈ 41 MB per decoder per worker): the default decoder (soft) is built at
// load, the other on its first request, so a service that only captions with the default never
// pays for the other (docs/benchmarks.md "Peak RSS at 8 clients").
import type { Vocabulary } from '../data/vocab.ts';
import type { DecoderConfig } from '../model/config.ts';
import { loadDecoder } from '../model/io.ts';
import type { StepDecoder } from '../model/step.ts';
import type { DecoderInfo } from '../service/schemas.ts';

export class DecoderSlot {
  private built?: Promise<StepDecoder>;

  constructor(
    readonly info: DecoderInfo,
    readonly config: DecoderConfig,
    private readonly build: () => Promise<StepDecoder>,
  ) {}

  /**
   * A slot that reads its decoder from `dir` on the first request; the files must still be what
   * the service started with (a changed config is refused: restart to serve new models).
   */
  static later(info: DecoderInfo, config: DecoderConfig, dir: string, make: (config: DecoderConfig, vocab: Vocabulary, params: Float32Array) => StepDecoder): DecoderSlot {
    return new DecoderSlot(info, config, async () => {
      const saved = await loadDecoder(dir);
      if (JSON.stringify(saved.config) !== JSON.stringify(config)) throw new Error(`${dir} changed since the service started; restart it to serve the new ${info.attention} decoder`);
      return make(saved.config, saved.vocab, saved.params);
    });
  }

  /** A slot whose decoder is already built. */
  static ready(info: DecoderInfo, decoder: StepDecoder): DecoderSlot {
    const slot = new DecoderSlot(info, decoder.config, () => Promise.resolve(decoder));
    slot.built = Promise.resolve(decoder);
    return slot;
  }

  get isBuilt(): boolean {
    return this.built !== undefined;
  }

  /** The decoder, built on the first call (a failed build is retried by the next call). */
  decoder(): Promise<StepDecoder> {
    this.built ??= this.build().catch((err) => {
      this.built = undefined;
      throw err;
    });
    return this.built;
  }

  async dispose(): Promise<void> {
    if (this.built) (await this.built.catch(() => undefined))?.dispose();
  }
}
