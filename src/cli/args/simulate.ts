import type { Argv, CommandModule } from 'yargs';
import { DESCRIBE } from '../commands/list.js';
import { InputError } from '../../util/errors.js';
import { withForce } from '../options.js';

/** The options every Design-driven command shares: `--design`, `--array RxC`, `--dataflow`. */
export function designOptions<T>(y: Argv<T>) {
  return y
    .option('design', { type: 'string', default: 'int8', describe: 'preset name (int8, int4, binary, ...) or a Design JSON file' })
    .option('array', { type: 'string', describe: 'override the array size, ROWSxCOLS (e.g. 32x32)' })
    .option('dataflow', { type: 'string', choices: ['os', 'ws', 'is'], describe: 'override the dataflow' });
}

/** `lowbit simulate`: its options (light, all that --help and parsing load); the work is `simulateHandler` in
 * commands/simulate.ts, loaded when the command runs. */
export interface SimArgs {
  design: string;
  array?: string;
  dataflow?: string;
  a?: string;
  w?: string;
  random?: string;
  seed: number;
  out?: string;
  force: boolean;
  'cycle-accurate': boolean;
  check: boolean;
  json: boolean;
}

export const simulateCommand: CommandModule<object, SimArgs> = {
  command: 'simulate',
  describe: DESCRIBE.simulate,
  builder: (y) =>
    withForce(designOptions(y))
      .option('a', { type: 'string', describe: 'activations A (M x K) as .npy' })
      .option('w', { type: 'string', describe: 'weights W (K x N) as .npy' })
      .option('random', { type: 'string', describe: 'random operands of shape M,K,N instead of --a/--w' })
      .option('seed', { type: 'number', default: 1, describe: 'seed for --random' })
      .option('out', { type: 'string', describe: 'write Y (M x N, int32 or int64 for accumulators > 32 bits) to this .npy file (a name ending in .npy, not -a or -w)' })
      .option('cycle-accurate', { type: 'boolean', default: false, describe: 'step the systolic array cycle by cycle' })
      .option('check', { type: 'boolean', default: false, describe: 'run both paths and fail unless Y and cycles agree' })
      .example('$0 simulate --design int8 --random 64,784,256 --seed 3', 'random int8 GEMM on the 16x16 array')
      .example('$0 simulate --design int4 --array 8x8 --dataflow ws --a A.npy --w W.npy --out Y.npy --cycle-accurate', '')
      .check((argv) => {
        if (argv.random !== undefined && (argv.a !== undefined || argv.w !== undefined)) throw new InputError('simulate: give either --random or --a/--w, not both');
        if (argv.random === undefined && (argv.a === undefined || argv.w === undefined)) throw new InputError('simulate: give --a A.npy and --w W.npy, or --random M,K,N');
        return true;
      }) as unknown as Argv<SimArgs>,
  handler: async (argv) => (await import('../commands/simulate.js')).simulateHandler(argv),
};
