import type { ArgumentsCamelCase } from 'yargs';
import type { InferArgs } from '../args/infer.js';
import { npyLabels, npyModelInput } from '../../data/arrays.js';
import { argmaxRowsInt, dequantizeOutput, integerInference, ortU8S8Saturates } from '../../model/infer.js';
import { loadModel, resolveModelPath } from '../../model/locate.js';
import { isWeightOnlyDir } from '../../model/weight_only_io.js';
import { inferWeightOnly } from './weight_only.js';
import { shapeSize } from '../../model/shapes.js';
import { REQUANT_MODES, type RequantMode } from '../../model/stages.js';
import type { QuantizedModel } from '../../model/types.js';
import { badValue, checkEnum } from '../../util/errors.js';
import { readNpy, writeNpy } from '../../util/npy.js';
import { checkNpyOut, givenOn, notApplicable } from '../options.js';

/**
 * `lowbit infer`: runs the integer reference inference of a QuantizedModel (a `models/<name>/` folder, or a
 * quantized `.onnx` file imported on the fly) on a `.npy` batch. float32 input goes through the model's
 * `quantize` layer; integer input (int8/uint8/int16/int32) is taken as already quantized. Writes the
 * integer outputs as int32 `.npy` (`--out`), or with `--dequantize` their float32 values computed as ONNX
 * Runtime's DequantizeLinear does (`dequantizeOutput`), and prints a summary (argmax of the first rows;
 * accuracy with `--labels`). Any numeric `.npy` dtype is read (float64, int64, bool converted with a range check).
 */

/** Runs `lowbit infer` (its options: cli/args/infer.ts). */
export function inferHandler(argv: ArgumentsCamelCase<InferArgs>): void {
  const requant = checkEnum('--requant', argv.requant, REQUANT_MODES) as RequantMode;
  checkNpyOut(argv.out, '--out', argv.force, { '--input': argv.input, '--labels': argv.labels });
  notApplicable('--dequantize', argv.dequantize && argv.out === undefined, 'it chooses the dtype of the outputs written to --out', 'add --out FILE.npy or remove it');
  const path = resolveModelPath(argv.model);
  if (isWeightOnlyDir(path)) {
    for (const o of ['requant', 'u8s8-saturation', 'dequantize'] as const) notApplicable(`--${o}`, givenOn(o, argv[o]), 'a weight-only model has float activations and float32 outputs');
    inferWeightOnly(argv, path);
    return;
  }
  const model: QuantizedModel = loadModel(argv.model);
  const arr = readNpy(argv.input);
  const inSize = shapeSize(model.inputShape);
  const okShape = arr.data.length > 0 && (shapeSize(arr.shape) === inSize || (arr.shape.length >= 2 && shapeSize(arr.shape.slice(1)) === inSize));
  if (!okShape) {
    throw badValue(`${argv.input}: shape`, `(${arr.shape.join(', ')})`, `[N, ${model.inputShape.join(', ')}] (model ${model.name} takes ${inSize} values per sample)`);
  }
  const x = npyModelInput(arr, argv.input);
  const t0 = performance.now();
  const res = integerInference(model, x, { requant, u8s8Saturation: argv['u8s8-saturation'] });
  const seconds = (performance.now() - t0) / 1000;
  const [n, ...outShape] = res.shape as [number, ...number[]];
  const cols = shapeSize(outShape);
  const labels = argv.labels ? npyLabels(readNpy(argv.labels), argv.labels, n, cols) : null;
  if (argv.out) writeNpy(argv.out, { data: argv.dequantize ? dequantizeOutput(model, res.output) : res.output, shape: res.shape });
  const argmax = argmaxRowsInt(res.output, cols);
  let accuracy: number | undefined;
  if (labels) {
    let ok = 0;
    for (let i = 0; i < n; i++) if (argmax[i] === labels[i]) ok++;
    accuracy = ok / n;
  }
  const result = {
    model: model.name,
    input: argv.input,
    inputKind: x instanceof Float32Array ? `${arr.dtype} (quantized by the model)` : `${arr.dtype} (already quantized)`,
    samples: n,
    outputShape: outShape,
    requant,
    u8s8Saturation: argv['u8s8-saturation'],
    ortU8S8SaturatesHere: ortU8S8Saturates(),
    out: argv.out ?? null,
    dequantize: argv.dequantize,
    seconds: Number(seconds.toFixed(4)),
    argmaxFirst: Array.from(argmax.subarray(0, 20)),
    ...(accuracy !== undefined ? { accuracy } : {}),
  };
  if (argv.json) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return;
  }
  const lines = [
    `model ${result.model}: ${n} sample${n === 1 ? '' : 's'} (${result.inputKind}), output [${n}, ${outShape.join(', ')}], requant ${requant}, ${result.seconds} s`,
    `argmax of the first ${Math.min(20, n)}: ${result.argmaxFirst.join(' ')}`,
  ];
  if (accuracy !== undefined) lines.push(`top-1 accuracy: ${(100 * accuracy).toFixed(2)}% (${Math.round(accuracy * n)}/${n})`);
  if (argv.out) lines.push(`wrote ${argv.out} (${argv.dequantize ? 'float32, dequantized' : 'int32'})`);
  process.stdout.write(lines.join('\n') + '\n');
}
