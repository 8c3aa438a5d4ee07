import type { Argv, CommandModule } from 'yargs';
import { docPath } from '../../util/package.js';
import { DESCRIBE } from '../commands/list.js';

/** `lowbit sweep` and `lowbit sweep merge`: their options (light, all that --help and parsing load); the work
 * is `sweepHandler` / `mergeHandler` in commands/sweep.ts, loaded when the command runs. */
export interface SweepArgs {
  space: string;
  jobs?: number;
  shard?: string;
  out: string;
  accuracy: boolean;
  area: boolean;
  batch: number;
  json: boolean;
}

export interface MergeArgs {
  space: string;
  out: string;
  files: string[];
  partial: boolean;
  force: boolean;
  json: boolean;
}

const mergeCommand: CommandModule<object, MergeArgs> = {
  command: 'merge <files..>',
  describe: 'join shard result files into one (sorted by point; refuses mixed spaces and missing points)',
  builder: (y) =>
    y
      .positional('files', { type: 'string', array: true, demandOption: true })
      .option('space', { type: 'string', demandOption: true, describe: 'the space file the shards ran' })
      .option('out', { type: 'string', demandOption: true, describe: 'merged JSON-lines file' })
      .option('partial', { type: 'boolean', default: false, describe: 'allow missing points' })
      .option('force', { type: 'boolean', default: false, describe: 'overwrite --out even if it is not a results file of this space' })
      .example('$0 sweep merge --space space.json --out merged.jsonl results.jsonl', 'check and sort one results file (from the `lowbit sweep` example)')
      .example('$0 sweep merge --space space.json --out merged.jsonl shard1.jsonl shard2.jsonl', 'join two shards of space.json') as unknown as Argv<MergeArgs>,
  handler: async (argv) => (await import('../commands/sweep.js')).mergeHandler(argv),
};

/** `lowbit sweep --space ...`: the default subcommand, so that `sweep merge --help` shows only merge's options. */
const runSubcommand: CommandModule<object, SweepArgs> = {
  command: '$0',
  describe: 'estimate every point of a design space',
  builder: (y) =>
    y
      .option('space', { type: 'string', demandOption: true, describe: `space JSON file (base Design, schemes, axes, seed, images; ${docPath('estimate.md')})` })
      .option('jobs', { type: 'number', describe: 'worker threads (default: the machine parallelism)' })
      .option('shard', { type: 'string', describe: 'run shard I of N (1-based, I/N), every N-th point' })
      .option('out', { type: 'string', default: 'results.jsonl', describe: 'JSON-lines results (appended; rerun resumes)' })
      .option('accuracy', { type: 'boolean', default: false, describe: 'evaluate each point on the MNIST test set on the TS accelerator' })
      .option('area', { type: 'boolean', default: true, describe: 'Yosys area per point (--no-area skips)' })
      .option('batch', { type: 'number', default: 1, describe: 'inferences the weight load is amortised over' })
      .example('$0 sweep --space space.json --jobs 2 --no-area --out results.jsonl', `space.json: see ${docPath('estimate.md')}`)
      .example('$0 sweep --space space.json --shard 2/8 --out shard2.jsonl', 'shard 2 of 8')
      .example('$0 sweep merge --space space.json --out merged.jsonl shard*.jsonl', 'join the shards') as unknown as Argv<SweepArgs>,
  handler: async (argv) => (await import('../commands/sweep.js')).sweepHandler(argv),
};

export const sweepCommand: CommandModule<object, object> = {
  command: 'sweep',
  describe: DESCRIBE.sweep,
  builder: (y) =>
    y
      .command(runSubcommand as unknown as CommandModule<object, object>)
      .command(mergeCommand as unknown as CommandModule<object, object>),
  handler: () => undefined,
};
