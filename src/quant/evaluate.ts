/**
 * Accuracy of a network on a labelled image set: FP32 checkpoints through `fp32Inference`, QuantizedModels
 * through the integer reference `integerInference` (argmax of the final layer, ties to the lowest index).
 * Inputs are the dataset's uint8 pixels scaled to [0, 1] by /255 (as training feeds them), float32.
 */
import type { Checkpoint } from '../model/checkpoint.js';
import { fp32Inference } from '../model/fp32_infer.js';
import { integerInference } from '../model/infer.js';
import type { QuantizedModel } from '../model/types.js';

/** `count` images from `start` as float32 pixels / 255. */
export function pixelsToFloat(images: Uint8Array, pixelsPerImage: number, start: number, count: number): Float32Array {
  const out = new Float32Array(count * pixelsPerImage);
  const base = start * pixelsPerImage;
  for (let i = 0; i < out.length; i++) out[i] = images[base + i] / 255;
  return out;
}

function argmaxCorrect(y: ArrayLike<number>, classes: number, labels: Uint8Array, labelStart: number, n: number): number {
  let correct = 0;
  for (let b = 0; b < n; b++) {
    let best = 0;
    for (let j = 1; j < classes; j++) if (y[b * classes + j] > y[b * classes + best]) best = j;
    if (best === labels[labelStart + b]) correct++;
  }
  return correct;
}

export interface EvalSet {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  pixels: number;
}

/** Top-1 accuracy (0..1) of a function mapping a batch of float inputs to scores. */
function accuracyOf(set: EvalSet, run: (x: Float32Array, n: number) => ArrayLike<number>, batch: number): number {
  let correct = 0;
  for (let start = 0; start < set.count; start += batch) {
    const n = Math.min(batch, set.count - start);
    const y = run(pixelsToFloat(set.images, set.pixels, start, n), n);
    correct += argmaxCorrect(y, y.length / n, set.labels, start, n);
  }
  return correct / set.count;
}

export function accuracyFp32(ckpt: Checkpoint, set: EvalSet, batch = 500): number {
  return accuracyOf(set, (x, n) => fp32Inference(ckpt, x, n), batch);
}

export function accuracyInt(model: QuantizedModel, set: EvalSet, batch = 500): number {
  return accuracyOf(set, (x) => integerInference(model, x).output, batch);
}
