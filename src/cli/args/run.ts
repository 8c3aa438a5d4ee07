import type { CommandModule } from 'yargs';
import { DESCRIBE } from '../commands/list.js';
import { withForce } from '../options.js';
import { designOptions } from './simulate.js';

/** `lowbit run`: its options (light, all that --help and parsing load); the work is `runHandler` in
 * commands/run.ts, loaded when the command runs. */
export interface RunArgs {
  model: string;
  design: string;
  array?: string;
  dataflow?: string;
  images: number;
  rtl: boolean;
  'rtl-images': number;
  'rtl-seconds'?: number;
  jobs?: number;
  data?: string;
  input?: string;
  labels?: string;
  out?: string;
  force: boolean;
  batch?: number;
  json: boolean;
}

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run',
  describe: DESCRIBE.run,
  builder: (y) =>
    withForce(designOptions(y))
      .option('model', { type: 'string', demandOption: true, describe: 'a QuantizedModel: models/NAME folder, quantized .onnx file or shipped model name' })
      .option('images', { type: 'number', default: 10000, describe: 'MNIST test images through the TS model' })
      .option('rtl', { type: 'boolean', default: false, describe: 'also run images through the RTL in Verilator' })
      .option('rtl-images', { type: 'number', default: 20, describe: 'images through the RTL with --rtl (transaction level, each checked against the TS model)' })
      .option('rtl-seconds', { type: 'number', describe: 'with --rtl: stop starting RTL images after this many seconds (exit 2, the verified ones reported)' })
      .option('jobs', { type: 'number', describe: 'with --rtl: simulations at a time (default: all cores; one shared build)' })
      .option('batch', { type: 'number', describe: 'images (MLP) or conv output pixels (CNN) on the array rows at once, 1..rows (default 1; with --rtl an MLP fills the rows)' })
      .option('data', { type: 'string', describe: 'folder with MNIST-shaped IDX files (default: the MNIST files shipped with lowbit)' })
      .option('input', { type: 'string', describe: 'a .npy data set [N, ...inputShape] instead of MNIST (any numeric dtype; floats are quantized by the model); needs --labels' })
      .option('labels', { type: 'string', describe: '.npy of the N labels of --input (any integer dtype)' })
      .option('out', { type: 'string', describe: 'write the compiled $readmemh images and accel_top parameters (params.json) to this folder' })
      .example('$0 run --model sfc-w1a1 --design binary-mnist --images 1000', 'a shipped model on its design, 1000 MNIST test images')
      .example('$0 run --model models/my-w4a4 --design int8-mnist --rtl --rtl-images 5 --out build/my-w4a4', 'also 5 images through the RTL; keep the memory images') as never,
  handler: async (argv) => (await import('../commands/run.js')).runHandler(argv),
};
