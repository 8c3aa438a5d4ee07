/**
 * The training-layer interface. A layer owns its parameters, gradients and activation buffers (grown to
 * the largest batch seen, then reused: no allocation per step). `forward` returns a buffer the layer
 * owns (valid until its next forward); `backward` takes dL/dy and returns dL/dx (and accumulates
 * parameter gradients into `Param.grad`). Tensors are batch-major: sample b occupies [b*size, (b+1)*size).
 */

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
