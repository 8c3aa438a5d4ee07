/**
 * The training-layer interface. A layer owns its parameters, gradients and activation buffers (grown to
 * the largest batch seen, then reused: no allocation per step). `forward` returns a buffer the layer
 * owns (valid until its next forward); `backward` takes dL/dy and returns dL/dx (and accumulates
 * parameter gradients into `Param.grad`). Tensors are batch-major: sample b occupies [b*size, (b+1)*size).
 */
import type { NumFormat } from '../arith/format.js';

/** A trainable tensor with its gradient and optimizer hints. */
export interface Param {
  name: string;
  value: Float32Array;
  grad: Float32Array;
  /** apply weight decay to it (weights yes; batch-norm, biases, clip levels no) */
  decay: boolean;
  /** clip the value into [lo, hi] after each update (BinaryNet keeps latent weights in [-1, 1]) */
  clip?: [number, number];
  /** learning-rate multiplier (e.g. LSQ step sizes), default 1 */
  lrScale?: number;
}

export interface Layer {
  readonly kind: string;
  /** per-sample output shape for a per-sample input shape */
  outShape(inShape: number[]): number[];
  forward(x: Float32Array, n: number, train: boolean): Float32Array;
  backward(dy: Float32Array, n: number): Float32Array;
  params(): Param[];
}

/**
 * A rewrite of a dense/conv layer's effective weights after its quantizer (docs/train.md, "Training
 * methods": TTQ's learned scales, INQ's frozen power-of-two weights, Quant-Noise's random blocks, shared
 * centroids). `apply` overwrites w_hat and the STE factor (dL/dw = ste * dL/dw_hat) of the rows x cols
 * weights `w`; `train` is false for evaluation and export. `backward` adds the gradients of the
 * transform's own parameters from dL/dw_hat.
 */
export interface WeightTransform {
  readonly name: string;
  apply(w: Float32Array, what: Float32Array, ste: Float32Array, rows: number, cols: number, train: boolean): void;
  backward(w: Float32Array, dwhat: Float32Array, rows: number, cols: number): void;
  params(): Param[];
  /**
   * The integers of the rewritten weights, when the method's values are exactly w_hat[r][c] = q[r][c] * scale[r]
   * with integer q (INQ once every weight is frozen, TTQ with its scales on one power-of-two grid): writes
   * q and scale and returns the codes' format; null when w_hat is not (yet) such a product. A layer whose
   * transform gives codes is evaluated and exported as integers like a QAT layer.
   */
  codes?(w: Float32Array, q: Float32Array, scale: Float32Array, rows: number, cols: number): NumFormat | null;
}

/**
 * The range learned scales are clamped to after every update (PACT clip levels, LSQ step sizes): a step
 * must stay positive, since the quantizer divides by it and the exported requantization scale must be
 * > 0 (an unclamped Adam step of lr per update can carry a step of ~0.05 through zero in a few dozen steps).
 */
export const SCALE_CLIP: [number, number] = [1e-6, 1e6];

/** A parameter of `len` values (zero-filled) with a zero gradient. */
export function param(name: string, len: number, decay: boolean, extra: Partial<Param> = {}): Param {
  return { name, value: new Float32Array(len), grad: new Float32Array(len), decay, ...extra };
}

/** A float32 buffer of at least `len` values, reusing `buf` when it is big enough. */
export function grow(buf: Float32Array, len: number): Float32Array {
  return buf.length >= len ? buf : new Float32Array(len);
}

export function prod(s: number[]): number {
  return s.reduce((a, b) => a * b, 1);
}
