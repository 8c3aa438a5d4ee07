import { basename, resolve } from 'node:path';
import { loadMnist } from '../../data/mnist.js';
import { loadCheckpoint } from '../../model/checkpoint.js';
import { fp32Inference } from '../../model/fp32_infer.js';
import { weightOnlyInference, woShapes, type FloatAct, type WeightOnlyModel } from '../../model/weight_only.js';
import { loadWeightOnlyModel, saveWeightOnlyModel } from '../../model/weight_only_io.js';
import { npyFloats, npyLabels } from '../../data/arrays.js';
import { shapeSize } from '../../model/shapes.js';
import { readNpy, writeNpy } from '../../util/npy.js';
import { quantizeWeightOnly } from '../../quant/weight_only.js';
import { badValue, checkInt } from '../../util/errors.js';

/**
 * The weight-only branch of `lowbit quantize` (`--scheme wXafp32|wXafp16|wXabf16`, `wXa32` = `wXafp32`;
 * `--group G` scales per G weights along K, default per channel) and of `lowbit infer` (a weight-only
 * model folder). Models and rules: src/model/weight_only.ts, src/quant/weight_only.ts, docs/quant.md.
 */
export function parseWeightOnlyScheme(s: string): { bits: number; activation: FloatAct } | null {
  const m = /^w(\d+)a(fp32|fp16|bf16|32)$/.exec(s);
  if (!m) return null;
  const bits = Number(m[1]);
  if (bits < 2 || bits > 8) throw badValue('--scheme', s, 'a weight-only scheme with 2..8 weight bits, e.g. w4afp16');
  return { bits, activation: m[2] === '32' ? 'fp32' : (m[2] as FloatAct) };
}

/** Top-1 accuracy of float logits [n][cols]. */
export function top1(logits: Float32Array, labels: ArrayLike<number>, n: number, cols: number): number {
  let ok = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (logits[i * cols + c] > logits[i * cols + best]) best = c;
    if (best === labels[i]) ok++;
  }
  return ok / n;
}

export interface WeightOnlyQuantizeArgs {
  checkpoint: string;
  scheme: string;
  group: number;
  images: number;
  out?: string;
  force: boolean;
  json: boolean;
  data?: string;
}

export function quantizeWeightOnlyCommand(argv: WeightOnlyQuantizeArgs, scheme: { bits: number; activation: FloatAct }): void {
  const group = checkInt('--group', argv.group, 0, 2 ** 31);
  const ckpt = loadCheckpoint(argv.checkpoint);
  const name = argv.out ? basename(argv.out) : `${basename(argv.checkpoint)}-${argv.scheme}`;
  const model: WeightOnlyModel = quantizeWeightOnly(ckpt, { bits: scheme.bits, group, activation: scheme.activation, name, source: resolve(argv.checkpoint) });
  let fp32: number | null = null;
  let acc: number | null = null;
  const inSize = ckpt.inputShape.reduce((a, b) => a * b, 1);
  if (argv.images > 0 && inSize === 784) {
    const test = loadMnist('test', argv.data);
    const n = Math.min(argv.images, test.count);
    const x = Float32Array.from(test.images.subarray(0, n * 784), (p) => p / 255);
    fp32 = top1(fp32Inference(ckpt, x, n), test.labels, n, 10);
    acc = top1(weightOnlyInference(model, x, n), test.labels, n, 10);
    model.provenance.accuracy.push({ dataset: 'mnist-test', metric: 'top1', value: acc, samples: n });
  }
  if (argv.out !== undefined) saveWeightOnlyModel(model, argv.out, argv.force);
  const weights = model.layers.reduce((s, l) => s + (l.kind === 'dense' || l.kind === 'conv2d' ? l.weight.data.length : 0), 0);
  const scales = model.layers.reduce((s, l) => s + (l.kind === 'dense' || l.kind === 'conv2d' ? l.weight.scale.length : 0), 0);
  const result = {
    model: name, scheme: argv.scheme, weightBits: scheme.bits, group: group === 0 ? 'per-channel' : group, activation: scheme.activation,
    weights, scales, weightBitsTotal: weights * scheme.bits + 32 * scales, fp32Bits: 32 * weights,
    accuracy: acc, fp32Accuracy: fp32, out: argv.out ?? null,
  };
  if (argv.json) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return;
  }
  const pct = (a: number | null): string => (a === null ? 'not measured' : `${(100 * a).toFixed(2)} %`);
  process.stdout.write([
    `model      ${name}: weight-only int${scheme.bits} weights (${group === 0 ? 'one scale per output channel' : `one scale per ${group} weights along K`}), ${scheme.activation} activations`,
    `weights    ${weights} x ${scheme.bits} bits + ${scales} float32 scales = ${(result.weightBitsTotal / 8192).toFixed(2)} KiB vs FP32 ${(result.fp32Bits / 8192).toFixed(2)} KiB (${(result.fp32Bits / result.weightBitsTotal).toFixed(2)}x)`,
    `accuracy   ${pct(acc)} (weight-only reference) vs FP32 ${pct(fp32)}`,
    argv.out ? `wrote      ${argv.out}` : 'not written (no --out)',
  ].join('\n') + '\n');
}

export interface WeightOnlyInferArgs {
  input: string;
  out?: string;
  labels?: string;
  json: boolean;
}

/** `lowbit infer` on a weight-only model: float inputs, float32 outputs (`--out` writes them as float32 .npy). */
export function inferWeightOnly(argv: WeightOnlyInferArgs, dir: string): void {
  const model = loadWeightOnlyModel(dir);
  const arr = readNpy(argv.input);
  const inSize = model.inputShape.reduce((a, b) => a * b, 1);
  const okShape = arr.data.length > 0 && (shapeSize(arr.shape) === inSize || (arr.shape.length >= 2 && shapeSize(arr.shape.slice(1)) === inSize));
  if (!okShape) throw badValue(`${argv.input}: shape`, `(${arr.shape.join(', ')})`, `[N, ${model.inputShape.join(', ')}] (model ${model.name} takes ${inSize} values per sample)`);
  const x = npyFloats(arr, argv.input);
  const n = x.length / inSize;
  const t0 = performance.now();
  const y = weightOnlyInference(model, x, n);
  const seconds = Number(((performance.now() - t0) / 1000).toFixed(4));
  const outShape = woShapes(model)[model.layers.length];
  const cols = shapeSize(outShape);
  const labels = argv.labels ? npyLabels(readNpy(argv.labels), argv.labels, n, cols) : null;
  if (argv.out) writeNpy(argv.out, { data: y, shape: [n, ...outShape] });
  const argmax = Array.from({ length: Math.min(20, n) }, (_, i) => {
    let best = 0;
    for (let c = 1; c < cols; c++) if (y[i * cols + c] > y[i * cols + best]) best = c;
    return best;
  });
  const accuracy = labels ? top1(y, labels, n, cols) : undefined;
  const result = { model: model.name, weightOnly: true, activation: model.activation, samples: n, outputShape: outShape, out: argv.out ?? null, seconds, argmaxFirst: argmax, ...(accuracy !== undefined ? { accuracy } : {}) };
  if (argv.json) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return;
  }
  const lines = [
    `model ${model.name}: weight-only, ${model.activation} activations; ${n} samples, output [${n}, ${outShape.join(', ')}] float32, ${seconds} s`,
    `argmax of the first ${argmax.length}: ${argmax.join(' ')}`,
  ];
  if (accuracy !== undefined) lines.push(`top-1 accuracy: ${(100 * accuracy).toFixed(2)}% (${Math.round(accuracy * n)}/${n})`);
  if (argv.out) lines.push(`wrote ${argv.out} (float32)`);
  process.stdout.write(lines.join('\n') + '\n');
}
