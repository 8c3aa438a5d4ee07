/**
 * 2-D convolution (cross-correlation, square kernel k, stride, zero padding, CHW), max-pooling and
 * flatten for the CNN.
 *
 *   y[o][oy][ox] = bias[o] + sum_{c,i,j} w_hat[o][c][i][j] * x[c][oy*s + i - pad][ox*s + j - pad]
 *
 * via im2col: cols[p][c*k*k + i*k + j] for output position p = oy*OW + ox (P x K), so y_b = w_hat . cols^T
 * (gemmNT), dw += dy_b . cols (gemmNN into scratch, added), dcols = dy_b^T . w_hat (gemmTN), then col2im.
 * Padding reads 0, which is the integer model's input zero point for the unsigned activations used here.
 * Exact mode: as in dense.ts, integers recovered by round(x / inScale), accumulated exactly in float64.
 */
import { gemmNN, gemmNT, gemmTN } from './gemm.js';
import { grow, param, type Layer, type Param, type WeightTransform } from './layer.js';
import { roundReal } from '../arith/index.js';
import { QAT_ROUNDING, quantizeWeights, weightValues, type WeightQuantSpec } from './quantizers.js';
import { InputError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import type { NumFormat } from '../arith/format.js';

export class Conv2d implements Layer {
  readonly kind = 'conv2d';
  readonly weight: Param;
  readonly bias: Param | null;
  readonly q: Float32Array;
  readonly scale: Float32Array;
  /** weight-only QAT's per-group float32 scales (rows x groups; `quantizeWeights`), null for every other rule */
  groupScale: Float32Array | null = null;
  private readonly ste: Float32Array;
  private readonly what: Float32Array;
  private readonly dwTmp: Float32Array;
  private readonly dwhat: Float32Array;
  readonly OH: number;
  readonly OW: number;
  readonly K: number;
  readonly P: number;
  private cols: Float32Array = new Float32Array(0);
  private dcols: Float32Array = new Float32Array(0);
  private y: Float32Array = new Float32Array(0);
  private dx: Float32Array = new Float32Array(0);
  inScale: () => number = () => 1;
  exact = false;
  /** a training method's rewrite of w_hat after the quantizer (as in dense.ts) */
  transform: WeightTransform | null = null;
  /** the format of the transform's integer codes q (w_hat = q * scale exactly), null when it gives none */
  codeFormat: NumFormat | null = null;

  constructor(
    readonly inC: number, readonly outC: number, readonly k: number, readonly stride: number, readonly pad: number,
    readonly H: number, readonly W: number, readonly wq: WeightQuantSpec, hasBias: boolean, rng: Rng,
  ) {
    if (wq.method === 'lsq') throw new InputError('conv2d: method lsq is supported for dense layers only; use dorefa or int weights in the CNN');
    this.OH = Math.floor((H + 2 * pad - k) / stride) + 1;
    this.OW = Math.floor((W + 2 * pad - k) / stride) + 1;
    this.K = inC * k * k;
    this.P = this.OH * this.OW;
    const n = outC * this.K;
    this.weight = param('weight', n, true, wq.method === 'binary' ? { clip: [-1, 1] } : {});
    const lim = Math.sqrt(6 / (this.K + outC));
    for (let i = 0; i < n; i++) this.weight.value[i] = (rng.float() * 2 - 1) * lim;
    this.bias = hasBias ? param('bias', outC, false) : null;
    this.q = new Float32Array(n);
    this.scale = new Float32Array(outC);
    this.ste = new Float32Array(n);
    this.what = new Float32Array(n);
    this.dwTmp = new Float32Array(n);
    this.dwhat = new Float32Array(n);
  }

  outShape(): number[] {
    return [this.outC, this.OH, this.OW];
  }

  params(): Param[] {
    return [this.weight, ...(this.bias ? [this.bias] : []), ...(this.transform?.params() ?? [])];
  }

  quantize(train = false): void {
    this.groupScale = quantizeWeights(this.wq, this.weight.value, this.outC, this.K, this.q, this.scale, this.ste);
    weightValues(this.wq, this.q, this.scale, this.groupScale, this.outC, this.K, this.what);
    this.transform?.apply(this.weight.value, this.what, this.ste, this.outC, this.K, train);
    this.codeFormat = this.transform?.codes?.(this.weight.value, this.q, this.scale, this.outC, this.K) ?? null;
  }

  /** True when the evaluated weights are integers q times a per-row scale (a quantizer's or a method's codes). */
  integerWeights(): boolean {
    return this.wq.method !== 'none' || this.codeFormat !== null;
  }

  /** The weights the evaluation forward pass uses (w_hat, outC x inC*k*k), a copy. */
  effectiveWeights(): Float32Array {
    this.quantize(false);
    return this.what.slice();
  }

  accScale(o: number): number {
    return this.inScale() * this.scale[o]!;
  }

  outputOf(acc: number, o: number): number {
    return Math.fround(acc * this.accScale(o) + (this.bias ? this.bias.value[o]! : 0));
  }

  /** cols (P x K) of sample b of x; `round` recovers integers (exact mode). */
  private im2col(x: Float32Array, b: number, cols: Float32Array, off: number, inv: number): void {
    const { inC, k, stride, pad, H, W, OH, OW, K } = this;
    const xb = b * inC * H * W;
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        const row = off + (oy * OW + ox) * K;
        for (let c = 0; c < inC; c++) {
          for (let i = 0; i < k; i++) {
            const iy = oy * stride + i - pad;
            for (let j = 0; j < k; j++) {
              const ix = ox * stride + j - pad;
              const v = iy >= 0 && iy < H && ix >= 0 && ix < W ? x[xb + (c * H + iy) * W + ix]! : 0;
              cols[row + (c * k + i) * k + j] = inv > 0 ? roundReal(v / inv, QAT_ROUNDING) : v;
            }
          }
        }
      }
    }
  }

  forward(x: Float32Array, n: number, train: boolean): Float32Array {
    this.quantize(train);
    const { P, K, outC } = this;
    this.y = grow(this.y, n * outC * P);
    if (!train && this.exact && this.integerWeights()) {
      const cols = grow(this.cols, P * K);
      this.cols = cols;
      const inv = this.inScale();
      // |acc| <= sum|q[o]| * max|x|: below 2^24 the float32 GEMM of integers is exact (as in dense.ts)
      let maxIn = 0;
      for (let i = 0; i < x.length && i < n * this.inC * this.H * this.W; i++) maxIn = Math.max(maxIn, Math.abs(roundReal(x[i]! / inv, QAT_ROUNDING)));
      let bound = 0;
      for (let o = 0; o < outC; o++) {
        let sq = 0;
        for (let i = 0; i < K; i++) sq += Math.abs(this.q[o * K + i]!);
        bound = Math.max(bound, sq * maxIn);
      }
      for (let b = 0; b < n; b++) {
        this.im2col(x, b, cols, 0, inv);
        const yb = this.y.subarray(b * outC * P, (b + 1) * outC * P);
        if (bound < 2 ** 24) {
          gemmNT(this.q, cols, outC, K, P, yb);
          for (let o = 0; o < outC; o++) for (let p = 0; p < P; p++) yb[o * P + p] = this.outputOf(yb[o * P + p]!, o);
          continue;
        }
        for (let o = 0; o < outC; o++) {
          for (let p = 0; p < P; p++) {
            let acc = 0;
            for (let i = 0; i < K; i++) acc += this.q[o * K + i]! * cols[p * K + i]!;
            yb[o * P + p] = this.outputOf(acc, o);
          }
        }
      }
      return this.y;
    }
    this.cols = grow(this.cols, n * P * K);
    for (let b = 0; b < n; b++) {
      this.im2col(x, b, this.cols, b * P * K, 0);
      gemmNT(this.what, this.cols.subarray(b * P * K), outC, K, P, this.y.subarray(b * outC * P));
      if (this.bias) for (let o = 0; o < outC; o++) for (let p = 0; p < P; p++) this.y[(b * outC + o) * P + p] += this.bias.value[o]!;
    }
    return this.y;
  }

  backward(dy: Float32Array, n: number): Float32Array {
    const { inC, k, stride, pad, H, W, OH, OW, K, P, outC } = this;
    this.dx = grow(this.dx, n * inC * H * W);
    this.dx.fill(0, 0, n * inC * H * W);
    this.dcols = grow(this.dcols, P * K);
    const dwhat = this.dwhat;
    dwhat.fill(0);
    for (let b = 0; b < n; b++) {
      const dyb = dy.subarray(b * outC * P, (b + 1) * outC * P);
      const colsb = this.cols.subarray(b * P * K, (b + 1) * P * K);
      gemmNN(dyb, colsb, outC, P, K, this.dwTmp);
      for (let i = 0; i < dwhat.length; i++) dwhat[i] += this.dwTmp[i]!;
      this.dcols.fill(0, 0, P * K);
      gemmTN(dyb, this.what, outC, P, K, this.dcols);
      const xb = b * inC * H * W;
      for (let oy = 0; oy < OH; oy++) {
        for (let ox = 0; ox < OW; ox++) {
          const row = (oy * OW + ox) * K;
          for (let c = 0; c < inC; c++) {
            for (let i = 0; i < k; i++) {
              const iy = oy * stride + i - pad;
              if (iy < 0 || iy >= H) continue;
              for (let j = 0; j < k; j++) {
                const ix = ox * stride + j - pad;
                if (ix >= 0 && ix < W) this.dx[xb + (c * H + iy) * W + ix] += this.dcols[row + (c * k + i) * k + j]!;
              }
            }
          }
        }
      }
      if (this.bias) for (let o = 0; o < outC; o++) for (let p = 0; p < P; p++) this.bias.grad[o] += dyb[o * P + p]!;
    }
    // dL/dw = ste * dL/dw_hat, dL/dw_hat summed over the batch first
    const g = this.weight.grad;
    for (let i = 0; i < g.length; i++) g[i] += dwhat[i]! * this.ste[i]!;
    this.transform?.backward(this.weight.value, dwhat, outC, K);
    return this.dx;
  }
}

/** k x k max-pooling with stride k (floor of the size); the gradient goes to the first maximum. */
export class MaxPool2d implements Layer {
  readonly kind = 'maxpool2d';
  readonly OH: number;
  readonly OW: number;
  private arg: Int32Array = new Int32Array(0);
  private y: Float32Array = new Float32Array(0);
  private dx: Float32Array = new Float32Array(0);

  constructor(readonly C: number, readonly H: number, readonly W: number, readonly k: number) {
    this.OH = Math.floor(H / k);
    this.OW = Math.floor(W / k);
  }

  outShape(): number[] {
    return [this.C, this.OH, this.OW];
  }

  params(): Param[] {
    return [];
  }

  forward(x: Float32Array, n: number): Float32Array {
    const { C, H, W, k, OH, OW } = this;
    const len = n * C * OH * OW;
    this.y = grow(this.y, len);
    if (this.arg.length < len) this.arg = new Int32Array(len);
    for (let bc = 0; bc < n * C; bc++) {
      for (let oy = 0; oy < OH; oy++) {
        for (let ox = 0; ox < OW; ox++) {
          let best = -Infinity;
          let bi = 0;
          for (let i = 0; i < k; i++) {
            for (let j = 0; j < k; j++) {
              const idx = (bc * H + oy * k + i) * W + ox * k + j;
              if (x[idx]! > best) {
                best = x[idx]!;
                bi = idx;
              }
            }
          }
          const o = (bc * OH + oy) * OW + ox;
          this.y[o] = best;
          this.arg[o] = bi;
        }
      }
    }
    return this.y;
  }

  backward(dy: Float32Array, n: number): Float32Array {
    const len = n * this.C * this.H * this.W;
    this.dx = grow(this.dx, len);
    this.dx.fill(0, 0, len);
    const m = n * this.C * this.OH * this.OW;
    for (let o = 0; o < m; o++) this.dx[this.arg[o]!] += dy[o]!;
    return this.dx;
  }
}

/** CHW -> flat vector (c*H*W + h*W + w): the data is already in that order, so it is the identity. */
export class Flatten implements Layer {
  readonly kind = 'flatten';
  outShape(s: number[]): number[] {
    return [s.reduce((a, b) => a * b, 1)];
  }
  params(): Param[] {
    return [];
  }
  forward(x: Float32Array): Float32Array {
    return x;
  }
  backward(dy: Float32Array): Float32Array {
    return dy;
  }
}
