import type { ArgumentsCamelCase } from 'yargs';
import type { QuantizeArgs } from '../args/quantize.js';
import { basename, resolve } from 'node:path';
import { npyFloats } from '../../data/arrays.js';
import { loadMnist, type ImageDataset } from '../../data/mnist.js';
import { modelMemory } from '../../estimate/memory.js';
import { checkpointParamCount, loadCheckpoint, type Checkpoint } from '../../model/checkpoint.js';
import { MODEL_OUTPUT, saveQuantizedModel } from '../../model/format.js';
import { importOnnx } from '../../model/onnx/index.js';
import { shapeSize } from '../../model/shapes.js';
import { formatName, type QuantizedModel } from '../../model/types.js';
import { accuracyFp32, accuracyInt, pixelsToFloat, type EvalSet } from '../../quant/evaluate.js';
import { calibName, parseCalib } from '../../quant/calibration.js';
import { quantizeCheckpoint } from '../../quant/ptq.js';
import { makeScheme } from '../../quant/scheme.js';
import { InputError, checkInt } from '../../util/errors.js';
import { readNpy } from '../../util/npy.js';
import { checkOutDir, given, givenOn, notApplicable } from '../options.js';
import { progress, type Progress } from '../../util/progress.js';
import { parseWeightOnlyScheme, quantizeWeightOnlyCommand } from './weight_only.js';

/**
 * `lowbit quantize`: post-training quantization of an FP32 checkpoint into a QuantizedModel
 * (`--checkpoint`, src/quant/ptq.ts), or import of a quantized ONNX model (`--model file.onnx`, the model
 * layer's importer). Calibrates on the first `--calib-images` training images, writes `--out`, and reports
 * the MNIST test
 * accuracy (on `--images` test images) of the FP32 network and of the integer model (`integerInference`),
 * and the parameter memory in the model's formats against FP32.
 */

/** Runs `lowbit quantize` (its options: cli/args/quantize.ts). */
export function quantizeHandler(argv: ArgumentsCamelCase<QuantizeArgs>): void {
  if ((argv.checkpoint === undefined) === (argv.model === undefined)) {
    throw new InputError('quantize: give exactly one of --checkpoint <FP32 checkpoint folder> or --model <quantized file.onnx>');
  }
  if (argv.model !== undefined && !argv.model.endsWith('.onnx')) {
    throw new InputError(`quantize --model ${argv.model}: give a quantized .onnx file to import; an FP32 checkpoint folder is --checkpoint`);
  }
  checkInt('--calib-images', argv.calibImages, 1, 60000);
  checkInt('--images', argv.images, 0, 1 << 24);
  const wo = argv.model === undefined ? parseWeightOnlyScheme(argv.scheme) : null;
  if (wo) {
    for (const o of ['per-channel', 'calib', 'calib-images', 'calib-data', 'override', 'variant']) notApplicable(`--${o}`, given(o), `weight-only scheme ${argv.scheme} keeps float activations (no calibration, scales per channel or --group)`);
    checkOutDir(argv.out, { ...MODEL_OUTPUT, force: argv.force }, { '--checkpoint': argv.checkpoint, '--data': argv.data });
    quantizeWeightOnlyCommand({ ...argv, checkpoint: argv.checkpoint! }, wo);
    return;
  }
  if (given('group')) checkInt('--group', argv.group, 1, 2 ** 31 - 1);
  if (argv.model !== undefined) {
    for (const o of ['scheme', 'per-channel', 'calib', 'calib-images', 'calib-data', 'override', 'variant', 'group'] as const) notApplicable(`--${o}`, givenOn(o, argv[o]), '--model imports an already quantized model (they apply to --checkpoint)');
  }
  // the scheme and calibration are checked before any file is read
  const scheme = argv.model === undefined ? makeScheme(argv.scheme, { perChannel: argv.perChannel, overrides: argv.override ?? [], group: argv.group }) : null;
  const calib = parseCalib(argv.calib);
  checkOutDir(argv.out, { ...MODEL_OUTPUT, force: argv.force }, { '--checkpoint': argv.checkpoint, '--model': argv.model, '--calib-data': argv['calib-data'], '--data': argv.data });
  const started = Date.now();
  let model: QuantizedModel;
  let ckpt: Checkpoint | null = null;
  let layers: unknown[] = [];
  const test = argv.images > 0 ? loadMnist('test', argv.data) : null;
  if (argv.model !== undefined) {
    model = importOnnx(argv.model, { name: argv.out ? basename(argv.out) : basename(argv.model, '.onnx') });
  } else {
    ckpt = loadCheckpoint(argv.checkpoint!);
    const inSize = ckpt.inputShape.reduce((a, b) => a * b, 1);
    let calibInputs: Float32Array;
    let n: number;
    if (argv['calib-data'] !== undefined) {
      const a = readNpy(argv['calib-data']);
      if (a.shape.length < 2 || shapeSize(a.shape.slice(1)) !== inSize) throw new InputError(`${argv['calib-data']}: shape (${a.shape.join(', ')}); the checkpoint takes [N, ${ckpt.inputShape.join(', ')}]`);
      n = Math.min(argv.calibImages, a.shape[0]!);
      calibInputs = npyFloats(a, argv['calib-data']).subarray(0, n * inSize);
    } else {
      const train = loadMnist('train', argv.data);
      n = Math.min(argv.calibImages, train.count);
      checkShape(ckpt, train);
      calibInputs = pixelsToFloat(train.images, train.rows * train.cols, 0, n);
    }
    let bar: Progress | null = null;
    let last = 0;
    const r = quantizeCheckpoint(ckpt, {
      scheme: scheme!, calib, calibInputs, count: n,
      name: argv.out ? basename(argv.out) : `${basename(argv.checkpoint!)}-${argv.scheme}`, source: resolve(argv.checkpoint!),
      variant: argv.variant as 'double' | 'single',
      onProgress: (d, t) => {
        bar ??= progress('calibrate', t);
        bar.tick(d - last);
        last = d;
      },
    });
    (bar as Progress | null)?.stop();
    model = r.model;
    layers = r.layers;
  }
  let fp32: number | null = null;
  let int: number | null = null;
  if (test !== null) {
    const count = Math.min(argv.images, test.count);
    const set: EvalSet = { images: test.images, labels: test.labels, count, pixels: test.rows * test.cols };
    const inSize = model.inputShape.reduce((a, b) => a * b, 1);
    if (inSize === set.pixels && model.layers[0]?.kind === 'quantize') {
      int = accuracyInt(model, set);
      model.provenance.accuracy.push({ dataset: 'mnist-test', metric: 'top1', value: int, samples: count });
    }
    if (ckpt !== null) fp32 = accuracyFp32(ckpt, set);
  }
  if (argv.out !== undefined) saveQuantizedModel(model, argv.out, { force: argv.force });
  const mem = modelMemory(model);
  // FP32 baseline: every parameter of the checkpoint (batch-norm included); for an ONNX import, the model's own tensors
  const fp32Bytes = ckpt !== null ? 4 * checkpointParamCount(ckpt) : mem.fp32Bits / 8;
  const result = {
    model: model.name, out: argv.out ?? null, source: argv.checkpoint ?? argv.model,
    scheme: argv.model ? 'onnx' : argv.scheme, perChannel: argv.perChannel, group: argv.group, calib: argv.model ? null : calibName(calib),
    accuracy: { fp32, integer: int, drop: fp32 !== null && int !== null ? fp32 - int : null, testImages: test ? Math.min(argv.images, test.count) : 0 },
    size: { parameterBits: mem.parameterBits, parameterBytes: Math.ceil(mem.parameterBits / 8), fp32Bytes, savingVsFp32: (8 * fp32Bytes) / mem.parameterBits },
    layers: model.layers.map((l) => describeLayer(l)),
    quantization: layers,
    seconds: (Date.now() - started) / 1000,
  };
  if (argv.json) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return;
  }
  const pct = (v: number | null): string => (v === null ? 'n/a' : `${(100 * v).toFixed(2)} %`);
  const lines = [
    `model      ${result.model}${argv.out ? ` -> ${argv.out}` : ' (not written: no --out)'}`,
    `scheme     ${result.scheme}${argv.perChannel ? ' per-channel' : ''}${argv.group > 0 ? ` group ${argv.group}` : ''}${argv.override?.length ? ` overrides ${argv.override.join(' ')}` : ''}${result.calib ? `, calibration ${result.calib} on ${argv.calibImages} images` : ''}`,
    ...result.layers.map((s) => `  ${s}`),
    `accuracy   fp32 ${pct(fp32)}, integer ${pct(int)}${result.accuracy.drop !== null ? `, drop ${(100 * result.accuracy.drop).toFixed(2)} points` : ''} (${result.accuracy.testImages} MNIST test images)`,
    `size       ${result.size.parameterBytes} bytes of parameters vs ${result.size.fp32Bytes} bytes FP32: ${result.size.savingVsFp32.toFixed(2)}x smaller`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

function checkShape(ckpt: Checkpoint, d: ImageDataset): void {
  const n = ckpt.inputShape.reduce((a, b) => a * b, 1);
  if (n !== d.rows * d.cols) {
    throw new InputError(`--checkpoint: input shape [${ckpt.inputShape}] has ${n} values; the dataset's images have ${d.rows}x${d.cols} = ${d.rows * d.cols} pixels`);
  }
}

function describeLayer(l: QuantizedModel['layers'][number]): string {
  switch (l.kind) {
    case 'quantize':
      return `${l.name}: quantize to ${formatName(l.output.format)} scale ${l.output.scale.toPrecision(4)}`;
    case 'dense':
    case 'conv2d': {
      const shape = l.kind === 'dense' ? `${l.inFeatures}->${l.outFeatures}` : `${l.inChannels}->${l.outChannels} k${l.kernel[0]}`;
      const out = l.output.kind === 'accumulator' ? 'int32 accumulator' : `${l.output.kind} to ${formatName(l.output.output.format)}`;
      const scales = l.weight.group ? `group ${l.weight.group.size}: ${l.weight.group.multiplier.length} integer multipliers` : `${l.weight.scale.length} scale${l.weight.scale.length > 1 ? 's' : ''}`;
      return `${l.name}: ${l.kind} ${shape}, weights ${formatName(l.weight.format)} (${scales}), ${out}`;
    }
    default:
      return `${l.name}: ${l.kind}`;
  }
}
