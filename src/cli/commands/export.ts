import type { Argv, CommandModule } from 'yargs';
import { loadModel } from '../../model/locate.js';
import { exportOnnx } from '../../model/onnx/export.js';
import { exportQonnx } from '../../model/onnx/export_qonnx.js';
import { checkEnum } from '../../util/errors.js';
import { checkOutputFile, writeFileAtomic } from '../../util/fsafe.js';
import { withForce } from '../options.js';
import { DESCRIBE } from './list.js';

/**
 * `lowbit export`: a QuantizedModel to
 *   onnx:  standard ONNX (`exportOnnx`, docs/model.md): QOperator ops, threshold stages as integer ops; ONNX
 *          Runtime runs it with the outputs of `lowbit infer --requant onnxruntime`;
 *   qonnx: QONNX (`exportQonnx`, docs/qonnx.md): Quant / BipolarQuant weights, MultiThreshold stages, as FINN
 *          reads it; lowbit's import of it computes the same integer outputs.
 * A model the format cannot represent exits 2 naming the layer and why.
 */
interface ExportArgs {
  model: string;
  format: string;
  out: string;
  force: boolean;
}

export const FORMATS = ['onnx', 'qonnx'] as const;

export const exportCommand: CommandModule<object, ExportArgs> = {
  command: 'export',
  describe: DESCRIBE.export,
  builder: (y: Argv) =>
    withForce(y)
      .option('model', { type: 'string', demandOption: true, describe: 'a QuantizedModel: models/NAME folder, quantized .onnx file or shipped model name' })
      .option('format', { type: 'string', default: 'onnx', describe: 'onnx: standard ONNX, QOperator form (ai.onnx 13 + com.microsoft QGemm); qonnx: QONNX (Quant, BipolarQuant, MultiThreshold) for FINN' })
      .option('out', { type: 'string', demandOption: true, describe: 'the .onnx file to write' })
      .example('$0 export --model models/tfc-w8a8 --out tfc-w8a8.onnx', 'models/tfc-w8a8: from the `lowbit quantize` example; run the file in ONNX Runtime') as unknown as Argv<ExportArgs>,
  handler: (argv) => {
    checkEnum('--format', argv.format, FORMATS);
    checkOutputFile(argv.out, '--out', (t) => t.includes('\x12\x06lowbit'), argv.force);
    const model = loadModel(argv.model);
    const bytes = argv.format === 'qonnx' ? exportQonnx(model) : exportOnnx(model);
    writeFileAtomic(argv.out, bytes);
    process.stdout.write(`wrote ${argv.out} (${bytes.length} bytes, ${argv.format === 'qonnx' ? 'QONNX' : 'ONNX QOperator'}) from model ${model.name}\n`);
  },
};
