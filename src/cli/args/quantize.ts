import type { Argv, CommandModule } from 'yargs';
import { DESCRIBE } from '../commands/list.js';
import { withForce } from '../options.js';

/** `lowbit quantize`: its options (light, all that --help and parsing load); the work is `quantizeHandler` in
 * commands/quantize.ts, loaded when the command runs. */
export interface QuantizeArgs {
  checkpoint?: string;
  model?: string;
  scheme: string;
  perChannel: boolean;
  calib: string;
  calibImages: number;
  'calib-data'?: string;
  images: number;
  override?: string[];
  variant: string;
  data?: string;
  out?: string;
  force: boolean;
  json: boolean;
  group: number;
}

export const quantizeCommand: CommandModule<object, QuantizeArgs> = {
  command: 'quantize',
  describe: DESCRIBE.quantize,
  builder: (y) =>
    withForce(y)
      .option('checkpoint', { type: 'string', describe: 'FP32 checkpoint folder (lowbit train --out with the default --wbits/--abits 32)' })
      .option('model', { type: 'string', describe: 'instead: import a quantized ONNX model (QDQ or QOperator), a .onnx file' })
      .option('scheme', { type: 'string', default: 'w8a8', describe: 'w8a8 | w4a4 | w2a2 | w1a1 | wXaY | ternary | pow2; weight-only: wXafp32 | wXafp16 | wXabf16 (float activations)' })
      .option('per-channel', { type: 'boolean', default: false, describe: 'one weight scale per output channel' })
      .option('calib', { type: 'string', default: 'minmax', describe: 'minmax | percentile:P | mse | kl' })
      .option('calib-images', { type: 'number', default: 1000, describe: 'calibration images (the first N of the training set)' })
      .option('calib-data', { type: 'string', describe: 'calibrate on this .npy [N, ...inputShape] instead (floats as the network sees them; any numeric dtype); the first --calib-images samples' })
      .option('images', { type: 'number', default: 10000, describe: 'MNIST test images for the accuracy report (0: skip)' })
      .option('override', { type: 'string', array: true, describe: 'per-layer scheme, e.g. first=w8a8 last=w8a8 2=w4a4' })
      .option('variant', { type: 'string', default: 'double', choices: ['double', 'single'], describe: 'TFLite requantization rounding' })
      .option('data', { type: 'string', describe: 'folder of MNIST-shaped IDX files (default: the MNIST files shipped with lowbit)' })
      .option('group', { type: 'number', default: 0, describe: 'one weight scale per GROUP weights along K (last group of a row may be shorter); wXaY: integer group multipliers; weight-only (wXafp16 ..): float scales (0: per output channel)' })
      .option('out', { type: 'string', describe: 'output model directory, e.g. models/NAME' })
      .example('$0 quantize --checkpoint ckpt/tfc --scheme w8a8 --calib kl --images 1000 --out models/tfc-w8a8', 'ckpt/tfc: from the `lowbit train` example')
      .example('$0 quantize --checkpoint ckpt/tfc --scheme w4a4 --per-channel --override first=w8a8 last=w8a8', '')
      .example('$0 quantize --checkpoint ckpt/tfc --scheme w4a8 --group 64 --out models/tfc-w4a8-g64', 'per-group weight scales (the accelerator needs a Design with accumulator.group)')
      .example('$0 quantize --model model.onnx --out models/imported', 'import a quantized ONNX model') as unknown as Argv<QuantizeArgs>,
  handler: async (argv) => (await import('../commands/quantize.js')).quantizeHandler(argv),
};
