import type { Argv, CommandModule } from 'yargs';
import { DESCRIBE } from '../commands/list.js';
import { designOptions } from './simulate.js';

/** The `--model` branch's options (handled in commands/estimate_model.ts). */
export interface EstimateModelArgs {
  model?: string;
  energy?: string;
  area: boolean;
  batch: number;
  accuracy: boolean;
  images: number;
  json: boolean;
  pe?: string;
}

export function estimateModelOptions<T>(y: Argv<T>) {
  return y
    .option('model', { type: 'string', describe: 'a QuantizedModel (models/NAME folder, quantized .onnx file or shipped model name): per-layer estimate on the accelerator' })
    .option('energy', { type: 'string', describe: 'a JSON energy table in pJ (fields add8, add32, mul8, mul32, fpAdd32, fpMul32, sram32, dram32)' })
    .option('area', { type: 'boolean', default: true, describe: 'synthesize the compute units with Yosys for area (--no-area skips)' })
    .option('batch', { type: 'number', default: 1, describe: 'inferences the one-time weight load is amortised over; min(batch, rows) images (MLP) or conv output pixels (CNN) share the array rows' })
    .option('accuracy', { type: 'boolean', default: false, describe: 'also measure MNIST test accuracy on the TS accelerator' })
    .option('images', { type: 'number', default: 10000, describe: 'with --accuracy: MNIST test images (a seeded subset when fewer than 10,000)' })
    .option('pe', { type: 'string', choices: ['multiplier', 'shift', 'auto'], describe: "the array's PE (default: the Design's array.pe): multiplier, shift (multiplier-free: weights 0 or +-2^e, add/subtract/shift), or auto (--model: shift when every MAC layer's weights allow it)" });
}

/** `lowbit estimate`: its options (light, all that --help and parsing load); the work is `estimateHandler` in
 * commands/estimate.ts, loaded when the command runs. */
export interface EstimateArgs extends EstimateModelArgs {
  design: string;
  array?: string;
  dataflow?: string;
  gemm?: string;
  'scalesim-dir'?: string;
  json: boolean;
}

export const estimateCommand: CommandModule<object, EstimateArgs> = {
  command: 'estimate',
  describe: DESCRIBE.estimate,
  builder: (y) =>
    estimateModelOptions(designOptions(y))
      .option('gemm', { type: 'string', describe: 'one GEMM, M,K,N (Y[M x N] = A[M x K] W[K x N])' })
      .option('scalesim-dir', { type: 'string', describe: 'also write SCALE-Sim v2 .cfg and GEMM topology .csv into this folder' })
      .example('$0 estimate --design int8 --array 32x32 --gemm 256,784,256', '')
      .example('$0 estimate --design binary --dataflow ws --gemm 1,784,1024 --json --scalesim-dir scalesim/', '')
      .example('$0 estimate --model sfc-w1a1 --design binary-mnist --no-area', 'a shipped model, layer by layer')
      .example('$0 estimate --model models/my-ternary --design int8 --pe auto', 'the multiplier-free PE when the weights allow it') as unknown as Argv<EstimateArgs>,
  handler: async (argv) => (await import('../commands/estimate.js')).estimateHandler(argv),
};
