import type { Argv, CommandModule } from 'yargs';
import { DESCRIBE } from '../commands/list.js';
import { REQUANT_MODES } from '../../model/stages.js';
import { withForce } from '../options.js';

/** `lowbit infer`: its options (light, all that --help and parsing load); the work is `inferHandler` in
 * commands/infer.ts, loaded when the command runs. */
export interface InferArgs {
  model: string;
  input: string;
  out?: string;
  force: boolean;
  requant: string;
  labels?: string;
  dequantize: boolean;
  'u8s8-saturation': boolean;
  json: boolean;
}

export const inferCommand: CommandModule<object, InferArgs> = {
  command: 'infer',
  describe: DESCRIBE.infer,
  builder: (y: Argv) =>
    withForce(y)
      .option('model', { type: 'string', demandOption: true, describe: 'a QuantizedModel: models/NAME folder, quantized .onnx file or shipped model name' })
      .option('input', { type: 'string', demandOption: true, describe: '.npy input: floats (float32/float64/bool, quantized by the model) or integers (already quantized); shape [N, ...inputShape]' })
      .option('out', { type: 'string', describe: 'write the outputs to this .npy file (a name ending in .npy, not --input or --labels): [N, ...outputShape], int32, or float32 with --dequantize' })
      .option('dequantize', { type: 'boolean', default: false, describe: "write float32 outputs computed as ONNX Runtime's DequantizeLinear (float32(q - zp) * scale)" })
      .option('requant', { type: 'string', default: 'fixed', choices: REQUANT_MODES as unknown as string[], describe: "fixed: the model's integer scaling; onnxruntime: ORT's float32 rescale" })
      .option('labels', { type: 'string', describe: '.npy of N integer labels: report top-1 accuracy of the argmax' })
      .option('u8s8-saturation', { type: 'boolean', default: false, describe: "emulate ONNX Runtime's AVX2 u8 x s8 int16 pair saturation" })
      .example('$0 infer --model sfc-w4a4 --input x.npy --out y.npy', 'a shipped model on x.npy (float32 [N, 784], pixels in 0..1)')
      .example('$0 infer --model q.onnx --input x.npy --requant onnxruntime --json', 'run an ONNX model as ONNX Runtime would') as unknown as Argv<InferArgs>,
  handler: async (argv) => (await import('../commands/infer.js')).inferHandler(argv),
};
