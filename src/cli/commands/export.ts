import type { ArgumentsCamelCase } from 'yargs';
import type { ExportArgs } from '../args/export.js';
import { loadModel } from '../../model/locate.js';
import { exportOnnx } from '../../model/onnx/export.js';
import { exportQonnx } from '../../model/onnx/export_qonnx.js';
import { checkEnum } from '../../util/errors.js';
import { writeFileAtomic } from '../../util/fsafe.js';
import { checkFileOut, type FileKind } from '../options.js';

/**
 * `lowbit export`: a QuantizedModel to
 *   onnx:  standard ONNX (`exportOnnx`, docs/model.md): QOperator ops, threshold stages as integer ops; ONNX
 *          Runtime runs it with the outputs of `lowbit infer --requant onnxruntime`;
 *   qonnx: QONNX (`exportQonnx`, docs/qonnx.md): Quant / BipolarQuant weights, MultiThreshold stages, as FINN
 *          reads it; lowbit's import of it computes the same integer outputs.
 * A model the format cannot represent exits 2 naming the layer and why.
 */

export const FORMATS = ['onnx', 'qonnx'] as const;

/** Both formats are `.onnx` files; one lowbit wrote has producer_name "lowbit" (protobuf field 2, length 6). */
const ONNX_FILE: FileKind = { ext: '.onnx', format: 'ONNX files (QONNX too)', isOurs: (t) => t.includes('\x12\x06lowbit') };

/** Runs `lowbit export` (its options: cli/args/export.ts). */
export function exportHandler(argv: ArgumentsCamelCase<ExportArgs>): void {
  checkEnum('--format', argv.format, FORMATS);
  checkFileOut(argv.out, '--out', ONNX_FILE, argv.force, { '--model': argv.model });
  const model = loadModel(argv.model);
  const bytes = argv.format === 'qonnx' ? exportQonnx(model) : exportOnnx(model);
  writeFileAtomic(argv.out, bytes);
  if (argv.json) {
    process.stdout.write(JSON.stringify({ model: model.name, format: argv.format, out: argv.out, bytes: bytes.length }, null, 2) + '\n');
    return;
  }
  process.stdout.write(`wrote ${argv.out} (${bytes.length} bytes, ${argv.format === 'qonnx' ? 'QONNX' : 'ONNX QOperator'}) from model ${model.name}\n`);
}
