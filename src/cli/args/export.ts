import type { Argv, CommandModule } from 'yargs';
import { DESCRIBE } from '../commands/list.js';
import { withForce } from '../options.js';

/** `lowbit export`: its options (light, all that --help and parsing load); the work is `exportHandler` in
 * commands/export.ts, loaded when the command runs. */
export interface ExportArgs {
  model: string;
  format: string;
  out: string;
  force: boolean;
  json: boolean;
}

export const exportCommand: CommandModule<object, ExportArgs> = {
  command: 'export',
  describe: DESCRIBE.export,
  builder: (y: Argv) =>
    withForce(y)
      .option('model', { type: 'string', demandOption: true, describe: 'a QuantizedModel: models/NAME folder, quantized .onnx file or shipped model name' })
      .option('format', { type: 'string', default: 'onnx', describe: 'onnx: standard ONNX, QOperator form (ai.onnx 13 + com.microsoft QGemm); qonnx: QONNX (Quant, BipolarQuant, MultiThreshold) for FINN' })
      .option('out', { type: 'string', demandOption: true, describe: 'the .onnx file to write (a name ending in .onnx, not the --model file)' })
      .example('$0 export --model models/tfc-w8a8 --out tfc-w8a8.onnx', 'models/tfc-w8a8: from the `lowbit quantize` example; run the file in ONNX Runtime') as unknown as Argv<ExportArgs>,
  handler: async (argv) => (await import('../commands/export.js')).exportHandler(argv),
};
