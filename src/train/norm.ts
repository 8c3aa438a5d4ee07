/**
 * Batch normalisation over channels (a flat [C] input, or the C axis of [C, H, W]; `spatial` = H*W):
 *   train: y = gamma * (x - mu_B) / sqrt(var_B + eps) + beta, with batch statistics; running statistics
 *          updated as r = (1 - momentum) r + momentum * stat (PyTorch, unbiased variance for the running var).
 *   eval:  y = fround((x - mean) * k + beta), k = gamma / sqrt(var + eps) in float64 (`evalChannel`, the one
 *          definition shared with the threshold export).
 * Backward (train mode): dx = k/N * (N dy - sum dy - xhat * sum(dy xhat)), dgamma = sum dy xhat,
 * dbeta = sum dy.
 */
import { grow, param, type Layer, type Param } from './layer.js';

export class BatchNorm implements Layer {
  readonly kind = 'batchnorm';
  readonly gamma: Param;
  readonly beta: Param;
  readonly mean: Float32Array;
  readonly var: Float32Array;
  private xhat: Float32Array = new Float32Array(0);
  private y: Float32Array = new Float32Array(0);
  private dx: Float32Array = new Float32Array(0);
  private readonly invStd: Float64Array;

  constructor(readonly channels: number, readonly spatial = 1, readonly eps = 1e-5, readonly momentum = 0.1) {
    this.gamma = param('gamma', channels, false);
    this.gamma.value.fill(1);
    this.beta = param('beta', channels, false);
    this.mean = new Float32Array(channels);
    this.var = new Float32Array(channels).fill(1);
    this.invStd = new Float64Array(channels);
  }

  outShape(s: number[]): number[] {
    return s;
  }

  params(): Param[] {
    return [this.gamma, this.beta];
  }

  /** k[c] = gamma / sqrt(var + eps) (float64). */
  evalScale(c: number): number {
    return this.gamma.value[c]! / Math.sqrt(this.var[c]! + this.eps);
  }

  /** The eval-mode output for one value of channel c. */
  evalChannel(x: number, c: number): number {
    return Math.fround((x - this.mean[c]!) * this.evalScale(c) + this.beta.value[c]!);
  }

  forward(x: Float32Array, n: number, train: boolean): Float32Array {
    const C = this.channels;
    const S = this.spatial;
    const len = n * C * S;
    this.y = grow(this.y, len);
    const y = this.y;
    if (!train) {
      for (let c = 0; c < C; c++) {
        const k = this.evalScale(c);
        const m = this.mean[c]!;
        const bt = this.beta.value[c]!;
        for (let b = 0; b < n; b++) {
          const base = (b * C + c) * S;
          for (let s = 0; s < S; s++) y[base + s] = (x[base + s]! - m) * k + bt;
        }
      }
      return y;
    }
    this.xhat = grow(this.xhat, len);
    const N = n * S;
    for (let c = 0; c < C; c++) {
      let sum = 0;
      for (let b = 0; b < n; b++) {
        const base = (b * C + c) * S;
        for (let s = 0; s < S; s++) sum += x[base + s]!;
      }
      const mu = sum / N;
      let v = 0;
      for (let b = 0; b < n; b++) {
        const base = (b * C + c) * S;
        for (let s = 0; s < S; s++) {
          const d = x[base + s]! - mu;
          v += d * d;
        }
      }
      v /= N;
      const inv = 1 / Math.sqrt(v + this.eps);
      this.invStd[c] = inv;
      const g = this.gamma.value[c]!;
      const bt = this.beta.value[c]!;
      for (let b = 0; b < n; b++) {
        const base = (b * C + c) * S;
        for (let s = 0; s < S; s++) {
          const xh = (x[base + s]! - mu) * inv;
          this.xhat[base + s] = xh;
          y[base + s] = g * xh + bt;
        }
      }
      this.mean[c] = (1 - this.momentum) * this.mean[c]! + this.momentum * mu;
      this.var[c] = (1 - this.momentum) * this.var[c]! + this.momentum * (N > 1 ? (v * N) / (N - 1) : v);
    }
    return y;
  }

  backward(dy: Float32Array, n: number): Float32Array {
    const C = this.channels;
    const S = this.spatial;
    const N = n * S;
    this.dx = grow(this.dx, n * C * S);
    for (let c = 0; c < C; c++) {
      let sdy = 0;
      let sdyx = 0;
      for (let b = 0; b < n; b++) {
        const base = (b * C + c) * S;
        for (let s = 0; s < S; s++) {
          sdy += dy[base + s]!;
          sdyx += dy[base + s]! * this.xhat[base + s]!;
        }
      }
      this.gamma.grad[c] += sdyx;
      this.beta.grad[c] += sdy;
      const k = (this.gamma.value[c]! * this.invStd[c]!) / N;
      for (let b = 0; b < n; b++) {
        const base = (b * C + c) * S;
        for (let s = 0; s < S; s++) this.dx[base + s] = k * (N * dy[base + s]! - sdy - this.xhat[base + s]! * sdyx);
      }
    }
    return this.dx;
  }
}
