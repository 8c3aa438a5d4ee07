import { npyDataset } from '../../data/arrays.js';
import { loadMnist } from '../../data/mnist.js';
import { groupDescription, groupedLayer } from '../../model/group.js';
import { argmaxRowsInt, integerInference } from '../../model/infer.js';
import { modelShapes, shapeSize } from '../../model/shapes.js';
import type { QuantizedModel } from '../../model/types.js';
import { pixelsToFloat } from '../../quant/evaluate.js';
import { InputError, checkInt } from '../../util/errors.js';
import { given } from '../options.js';
import { progress } from '../../util/progress.js';
import type { WoRunArgs } from './weight_only_run.js';

/**
 * `lowbit run` on a QuantizedModel with per-group weight scales (model/group.ts) and none of the
 * accelerator's options: the model runs on the integer reference (`integerInference`), and the output says
 * so. With an accelerator option (`ACCEL_OPTIONS`, e.g. --design) run.ts takes the accelerator path, which
 * needs a Design with group multipliers (`accumulator.group`, docs/accelerator.md "Per-group weight scales").
 */
export const ACCEL_OPTIONS = ['design', 'array', 'dataflow', 'rtl', 'rtl-images', 'rtl-seconds', 'jobs', 'batch', 'out'] as const;

/** Whether `lowbit run` runs a grouped model on its integer reference: no accelerator option given. */
export function groupedOnReference(): boolean {
  return !ACCEL_OPTIONS.some((o) => given(o));
}

export function runGrouped(argv: WoRunArgs, model: QuantizedModel): void {
  const l = groupedLayer(model.layers)!;
  const images = checkInt('--images', argv.images, 1, 10000);
  if ((argv.input === undefined) !== (argv.labels === undefined)) throw new InputError('run: --input and --labels go together (a .npy data set and its labels)');
  if (argv.input !== undefined && argv.data !== undefined) throw new InputError('run: give --data (IDX folder) or --input/--labels (.npy), not both');
  const shapes = modelShapes(model);
  const inSize = shapeSize(model.inputShape);
  const cols = shapeSize(shapes[shapes.length - 1]!);
  let x: Float32Array | Int32Array;
  let labels: ArrayLike<number>;
  let source: string;
  if (argv.input !== undefined) {
    const d = npyDataset(argv.input, argv.labels!, cols);
    if (d.x.length !== d.count * inSize) throw new InputError(`${argv.input}: ${d.x.length / d.count} values per sample; model ${model.name} takes [${model.inputShape.join(', ')}]`);
    x = d.x.subarray(0, Math.min(images, d.count) * inSize);
    labels = d.labels;
    source = argv.input;
  } else {
    const test = loadMnist('test', argv.data);
    if (inSize !== test.rows * test.cols) throw new InputError(`model ${model.name} takes ${inSize} inputs, MNIST images have ${test.rows * test.cols}: give --input X.npy --labels Y.npy`);
    x = pixelsToFloat(test.images, inSize, 0, Math.min(images, test.count));
    labels = test.labels;
    source = 'MNIST test';
  }
  const n = x.length / inSize;
  const t0 = performance.now();
  const bar = progress('run: integer reference', n);
  let correct = 0;
  for (let s = 0; s < n; s += 1000) {
    const m = Math.min(1000, n - s);
    const pred = argmaxRowsInt(integerInference(model, x.subarray(s * inSize, (s + m) * inSize)).output, cols);
    for (let i = 0; i < m; i++) if (pred[i] === labels[s + i]) correct++;
    bar.tick(m);
  }
  bar.stop();
  const seconds = (performance.now() - t0) / 1000;
  const r = { model: model.name, grouped: l.name, engine: 'integer reference', data: source, images: n, accuracy: { reference: correct / n }, seconds: { reference: seconds } };
  if (argv.json) {
    process.stdout.write(JSON.stringify(r, null, 1) + '\n');
    return;
  }
  process.stdout.write([
    `model ${model.name}: ${n} ${source} images on the integer reference (integerInference)`,
    `  accuracy        reference ${(100 * r.accuracy.reference).toFixed(2)}%`,
    `  no accelerator  layer ${l.name} has ${groupDescription(l)}; to run it on the accelerator give --design with group multipliers (accumulator.group)`,
    `  time            reference ${seconds.toFixed(2)} s`,
  ].join('\n') + '\n');
}
