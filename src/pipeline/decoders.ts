// One decoder the captioner serves, built when first needed. Each ONNX Runtime decoder holds its
// weights as float32 (≈ 41 MB per decoder per worker): the default decoder (soft) is built at
// load, the other on its first request, so a service that only captions with the default never
// pays for the other (docs/benchmarks.md "Peak RSS at 8 clients").
import type { DecoderConfig } from '../model/config.ts';
import type { StepDecoder } from '../model/step.ts';
import type { DecoderInfo } from '../service/schemas.ts';

export class DecoderSlot {
  private built?: Promise<StepDecoder>;

  constructor(
    readonly info: DecoderInfo,
    readonly config: DecoderConfig,
    private readonly build: () => Promise<StepDecoder>,
  ) {}

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
