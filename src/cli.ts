#!/usr/bin/env node
import { z } from 'zod';
import { parseArgs } from './util/args.ts';

const USAGE = `show-attend-tell <command> [options]

commands:
  train     train a decoder on cached features      (npm run train -- --help)
  eval      caption a split and score it             (npm run eval -- --help)
  caption   caption images or folders to JSONL      (show-attend-tell caption PATH... --out DIR)
            (--redis URL: as batch jobs run by workers)
  worker    run batch jobs from Redis                (show-attend-tell worker --redis URL)
  serve     start the HTTP API                       (npm start)
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h') {
    console.log(USAGE);
    return 0;
  }
  const { positional, options } = parseArgs(rest);
  switch (command) {
    case 'train': {
      const { runTrain } = await import('./cli/train.ts');
      return runTrain(options);
    }
    case 'eval': {
      const { runEval } = await import('./cli/eval.ts');
      return runEval(options);
    }
    case 'caption': {
      const { runCaption } = await import('./cli/caption.ts');
      return runCaption(positional, options);
    }
    case 'worker': {
      const { runWorker } = await import('./cli/worker.ts');
      return runWorker(options);
    }
    case 'serve': {
      await import('./main.ts');
      return -1;
    }
    default:
      console.log(USAGE);
      return command === undefined || command === 'help' || options.help ? 0 : 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    if (err instanceof z.ZodError) console.error(`bad options:\n${z.prettifyError(err)}`);
    else console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
