import { loadMnist } from '../../data/mnist.js';
import { npyFloats, npyLabels } from '../../data/arrays.js';
import { weightOnlyInference, woShapes } from '../../model/weight_only.js';
import { loadWeightOnlyModel } from '../../model/weight_only_io.js';
import { estimateWeightOnly, type WoEstimate } from '../../estimate/weight_only.js';
import { HOROWITZ_45NM, loadEnergyTable } from '../../estimate/energy.js';
import { readNpy } from '../../util/npy.js';
import { InputError, checkInt } from '../../util/errors.js';
import { givenOn, notApplicable } from '../options.js';
import { top1 } from './weight_only.js';

/**
 * `lowbit run` and `lowbit estimate` on a weight-only model (integer weights, float activations): the
 * accelerator has integer activations only, so `run` evaluates the model with its reference
 * (`weightOnlyInference`) and `estimate` counts the reference kernel's operations and memory
 * (src/estimate/weight_only.ts). Options that need the accelerator are refused in one line.
 */
function refuseAccelOptions(argv: object, model: string, options: readonly string[], instead: string): void {
  const values = argv as Record<string, unknown>;
  for (const o of options) {
    notApplicable(`--${o}`, givenOn(o, values[o]), `model ${model} is weight-only (float activations) and the accelerator's datapath has integer activations only`, instead);
  }
}

export interface WoRunArgs {
  model: string;
  images: number;
  data?: string;
  input?: string;
  labels?: string;
  json: boolean;
}

export function runWeightOnly(argv: WoRunArgs, dir: string): void {
  refuseAccelOptions(argv, argv.model, ['design', 'array', 'dataflow', 'rtl', 'rtl-images', 'rtl-seconds', 'jobs', 'batch', 'out'], `remove it (run evaluates the weight-only reference), or quantize with --scheme wXaY for the accelerator`);
  const images = checkInt('--images', argv.images, 1, 10000);
  if ((argv.input === undefined) !== (argv.labels === undefined)) throw new InputError('run: --input and --labels go together (a .npy data set and its labels)');
  if (argv.input !== undefined && argv.data !== undefined) throw new InputError('run: give --data (IDX folder) or --input/--labels (.npy), not both');
  const model = loadWeightOnlyModel(dir);
  const shapes = woShapes(model);
  const inSize = shapes[0]!.reduce((a, b) => a * b, 1);
  const cols = shapes[shapes.length - 1]!.reduce((a, b) => a * b, 1);
  let x: Float32Array;
  let labels: ArrayLike<number>;
  let source: string;
  if (argv.input !== undefined) {
    const all = npyFloats(readNpy(argv.input), argv.input);
    if (all.length % inSize !== 0) throw new InputError(`${argv.input}: ${all.length} values are not whole samples of ${inSize} (model ${model.name}); give [N, ${model.inputShape.join(', ')}]`);
    const n = Math.min(images, all.length / inSize);
    x = all.subarray(0, n * inSize);
    labels = npyLabels(readNpy(argv.labels!), argv.labels!, all.length / inSize, cols);
    source = argv.input;
  } else {
    if (inSize !== 784) throw new InputError(`model ${model.name} takes ${inSize} inputs, MNIST images have 784: give --input X.npy --labels Y.npy`);
    const test = loadMnist('test', argv.data);
    const n = Math.min(images, test.count);
    x = Float32Array.from(test.images.subarray(0, n * 784), (p) => p / 255);
    labels = test.labels;
    source = 'MNIST test';
  }
  const n = x.length / inSize;
  const t0 = performance.now();
  const y = weightOnlyInference(model, x, n);
  const seconds = (performance.now() - t0) / 1000;
  const accuracy = top1(y, labels, n, cols);
  const r = { model: model.name, weightOnly: true, activation: model.activation, data: source, images: n, accuracy: { reference: accuracy }, seconds: { reference: seconds } };
  if (argv.json) {
    process.stdout.write(JSON.stringify(r, null, 1) + '\n');
    return;
  }
  process.stdout.write([
    `model ${model.name} (weight-only, ${model.activation} activations): ${n} ${source} images`,
    `  accuracy        reference ${(100 * accuracy).toFixed(2)}% (weightOnlyInference; no accelerator run: its datapath has integer activations)`,
    `  time            reference ${seconds.toFixed(2)} s`,
  ].join('\n') + '\n');
}

export interface WoEstimateArgs {
  model?: string;
  energy?: string;
  json: boolean;
}

export function estimateWeightOnlyCommand(argv: WoEstimateArgs, dir: string): WoEstimate {
  refuseAccelOptions(argv, argv.model!, ['design', 'array', 'dataflow', 'area', 'batch', 'accuracy', 'images', 'scalesim-dir'], 'remove it: the estimate counts the weight-only reference kernel (lowbit run --model measures its accuracy)');
  const e = estimateWeightOnly(loadWeightOnlyModel(dir), argv.energy !== undefined ? loadEnergyTable(argv.energy) : HOROWITZ_45NM);
  if (argv.json) {
    process.stdout.write(JSON.stringify(e, null, 1) + '\n');
    return e;
  }
  const kib = (bits: number): string => `${(bits / 8192).toFixed(2)} KiB`;
  const m = e.memory;
  const uj = (pj: number): string => `${(pj / 1e6).toFixed(3)} uJ`;
  process.stdout.write([
    `model         ${e.model}: weight-only, ${e.activation} activations (no Design: the accelerator has integer activations only)`,
    `MACs          ${e.macs} per inference (int code x ${e.activation}, float32 accumulation)`,
    `weights       ${e.weights} codes + scales + biases = ${kib(m.weightBits)} vs FP32 ${kib(m.fp32WeightBits)} (${(m.fp32WeightBits / m.weightBits).toFixed(2)}x), FP16 ${kib(m.fp16WeightBits)} (${(m.fp16WeightBits / m.weightBits).toFixed(2)}x)`,
    `activations   per inference ${kib(m.activationBits[e.activation])} in ${e.activation} (FP32 ${kib(m.activationBits.fp32)}, FP16/BF16 ${kib(m.activationBits.fp16)}); peak live input + output ${kib(m.peakActivationBits[e.activation])}`,
    `energy        ${uj(e.energy.totalPJ)} (compute ${uj(e.energy.computePJ)}, SRAM ${uj(e.energy.sramPJ)}), ${e.energy.pJPerMac.toFixed(3)} pJ/MAC vs FP32 ${uj(e.energy.fp32TotalPJ)} (${(e.energy.fp32TotalPJ / e.energy.totalPJ).toFixed(2)}x); ${e.energy.table}`,
    `per op (pJ)   code x ${e.activation} ${e.perOpPJ.productQx.toFixed(3)}, fp32 add ${e.perOpPJ.fpAdd32}, fp32 mul ${e.perOpPJ.fpMul32} (per group), SRAM ${e.perOpPJ.sramBit.toFixed(4)}/bit`,
    `layers        ${e.layers.map((l) => `${l.name} ${l.macs} MACs ${l.groups} groups ${kib(l.weightBits)}`).join('; ')}`,
  ].join('\n') + '\n');
  return e;
}
