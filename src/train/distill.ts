/**
 * Knowledge distillation (Hinton, Vinyals & Dean, "Distilling the Knowledge in a Neural Network", 2015):
 * the student's logits z_s learn from the teacher's z_t at temperature T and from the labels y:
 *   L = alpha T^2 KL(softmax(z_t / T) || softmax(z_s / T)) + (1 - alpha) CE(softmax(z_s), y)
 * averaged over the batch (the T^2 keeps the soft term's gradient magnitude independent of T). With
 * p = softmax(z_s / T), q = softmax(z_t / T):  dL/dz_s = alpha T (p - q) / n + (1 - alpha) (softmax(z_s) - onehot(y)) / n.
 * The teacher is an FP32 checkpoint (logits from `fp32Inference`) or a QuantizedModel whose last layer
 * outputs raw accumulators (logits = acc * inScale * wScale[o], the real values the integers stand for).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { softmaxCrossEntropy } from './loss.js';
import { loadCheckpoint, type Checkpoint } from '../model/checkpoint.js';
import { fp32Inference } from '../model/fp32_infer.js';
import { loadQuantizedModel } from '../model/format.js';
import { integerInference } from '../model/infer.js';
import type { QuantizedModel } from '../model/types.js';
import { InputError } from '../util/errors.js';

export interface DistillConfig {
  temperature: number;
  /** alpha, the weight of the soft (teacher) term */
  weight: number;
}

/** softmax(z[b] / T) of one row into `out` (max-subtracted, float64). */
function softmaxT(z: Float32Array, base: number, classes: number, T: number, out: Float64Array): void {
  let mx = -Infinity;
  for (let c = 0; c < classes; c++) mx = Math.max(mx, z[base + c]! / T);
  let sum = 0;
  for (let c = 0; c < classes; c++) sum += out[c] = Math.exp(z[base + c]! / T - mx);
  for (let c = 0; c < classes; c++) out[c]! /= sum;
}

/** The distillation loss of the batch and its gradient dL/dz_s (times `scale`) into dz. */
export function distillationLoss(
  zs: Float32Array, zt: Float32Array, labels: Uint8Array, n: number, classes: number, cfg: DistillConfig, dz: Float32Array, scale = 1,
): { loss: number; correct: number } {
  const { temperature: T, weight: a } = cfg;
  const ce = softmaxCrossEntropy(zs, labels, n, classes, dz, scale * (1 - a));
  const p = new Float64Array(classes);
  const q = new Float64Array(classes);
  let kl = 0;
  for (let b = 0; b < n; b++) {
    const base = b * classes;
    softmaxT(zs, base, classes, T, p);
    softmaxT(zt, base, classes, T, q);
    for (let c = 0; c < classes; c++) {
      if (q[c]! > 0) kl += q[c]! * (Math.log(q[c]!) - Math.log(p[c]!));
      dz[base + c]! += ((a * T * (p[c]! - q[c]!)) / n) * scale;
    }
  }
  return { loss: a * T * T * (kl / n) + (1 - a) * ce.loss, correct: ce.correct };
}

/** Teacher logits of a batch of `n` images x (pixels / 255). */
export type Teacher = (x: Float32Array, n: number) => Float32Array;

/** The teacher in `dir`: an FP32 checkpoint (checkpoint.json) or a QuantizedModel (model.json). */
export function loadTeacher(dir: string): Teacher {
  if (existsSync(join(dir, 'checkpoint.json'))) {
    const ck: Checkpoint = loadCheckpoint(dir);
    return (x, n) => fp32Inference(ck, x, n);
  }
  if (existsSync(join(dir, 'model.json'))) return quantizedTeacher(loadQuantizedModel(dir), dir);
  throw new InputError(`--teacher ${dir}: holds neither checkpoint.json (an FP32 checkpoint) nor model.json (a QuantizedModel); give the folder of a trained model`);
}

function quantizedTeacher(m: QuantizedModel, dir: string): Teacher {
  const last = m.layers[m.layers.length - 1]!;
  if (last.kind !== 'dense' || last.output.kind !== 'accumulator' || last.input.zeroPoint !== 0) {
    throw new InputError(`--teacher ${dir}: its last layer must be a dense layer with raw accumulator outputs and input zero point 0 (the logits of lowbit train's models)`);
  }
  const sx = last.input.scale;
  const sw = last.weight.scale;
  return (x, n) => {
    const acc = integerInference(m, x).output;
    const C = acc.length / n;
    const z = new Float32Array(acc.length);
    for (let i = 0; i < acc.length; i++) z[i] = acc[i]! * sx * sw[sw.length === 1 ? 0 : i % C]!;
    return z;
  };
}
