// `show-attend-tell train`: the training run's command line (src/train/ does the work).
import { z } from 'zod';

export async function runTrain(options: Record<string, string | number | boolean>): Promise<number> {
  if (options.help) {
    const { TrainOptionsSchema } = await import('../train/options.ts');
    console.log(`npm run train -- --captions FILE --train FILE --dev FILE --cache DIR --out DIR [options]\n\noptions (defaults):`);
    for (const [k, v] of Object.entries(TrainOptionsSchema.shape)) console.log(`  --${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}${describeDefault(v)}`);
    return 0;
  }
  const { train } = await import('../train/trainer.ts');
  const { state } = await train(options as never);
  return state.finished || state.step > 0 ? 0 : 1;
}

function describeDefault(s: z.ZodType): string {
  const d = (s as unknown as { _zod?: { def?: { defaultValue?: unknown } } })._zod?.def?.defaultValue;
  return d === undefined ? '' : ` (${JSON.stringify(d)})`;
}
