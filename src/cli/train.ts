// `show-attend-tell train`: the training run's command line (src/train/ does the work).
import { optionHelp } from './help.ts';

export async function runTrain(options: Record<string, string | number | boolean>): Promise<number> {
  if (options.help) {
    const { TrainOptionsSchema } = await import('../train/options.ts');
    console.log(`npm run train -- --captions FILE --train FILE --dev FILE --cache DIR --out DIR [options]\n\noptions:`);
    console.log(optionHelp(TrainOptionsSchema, { values: PATHS }));
    return 0;
  }
  const { train } = await import('../train/trainer.ts');
  const { state } = await train(options as never);
  return state.finished || state.step > 0 ? 0 : 1;
}

const PATHS = { captions: 'FILE', train: 'FILE|SPLIT', dev: 'FILE|SPLIT', cache: 'DIR', out: 'DIR', initFrom: 'DIR' };
