/**
 * Fully connected layer with an optional weight quantizer (QAT): y = x . w_hat^T + bias, where
 * w_hat[o][i] = q[o][i] * scale[o] from `quantizeWeights` (src/train/quantizers.ts); FP32 when the method is
 * `none`. Backward: dx = dy . w_hat, dw_hat = dy^T . x, dw = ste * dw_hat (straight-through estimator).
 *
 * Exact (eval) mode, used to evaluate a quantized network as the integer hardware does: the input's
 * integers are recovered as xq = round(x / inScale) (x holds fround(xq * inScale)), the accumulator
 * acc = sum_i q[o][i] * xq[i] is summed exactly in float64, and y = fround(acc * c[o]) with
 * c[o] = inScale * scale[o]. `outputOf(acc, o)` is that last step, shared with the threshold export.
 */
import { gemmNN, gemmNT, gemmTN } from './gemm.js';
import { SCALE_CLIP, grow, param, type Layer, type Param, type WeightTransform } from './layer.js';
import { roundReal } from '../arith/index.js';
import { lsqWeightStepGrad, QAT_ROUNDING, quantizeWeights, weightValues, symLevels, type WeightQuantSpec } from './quantizers.js';
import type { Rng } from '../util/rng.js';
import type { NumFormat } from '../arith/format.js';

export class Dense implements Layer {
  readonly kind = 'dense';
  readonly weight: Param;
  readonly bias: Param | null;
  readonly step: Param | null;
  /** quantized weights (integers as floats), per-row scales, STE factors, w_hat */
  readonly q: Float32Array;
  readonly scale: Float32Array;
  /** weight-only QAT's per-group float32 scales (rows x groups; `quantizeWeights`), null for every other rule */
  groupScale: Float32Array | null = null;
  private readonly ste: Float32Array;
  private readonly what: Float32Array;
  private readonly dwhat: Float32Array;
  private x: Float32Array = new Float32Array(0);
  private y: Float32Array = new Float32Array(0);
  private dx: Float32Array = new Float32Array(0);
  private xq: Float64Array = new Float64Array(0);
  private xi: Float32Array = new Float32Array(0);
  /** scale of the integers this layer's input holds (exact mode); set by the network builder */
  inScale: () => number = () => 1;
  /** when true, forward(train=false) runs the exact integer-equivalent path */
  exact = false;
  /** a training method's rewrite of w_hat after the quantizer (set before the optimizer is made) */
  transform: WeightTransform | null = null;
  /** the format of the transform's integer codes q (w_hat = q * scale exactly), null when it gives none */
  codeFormat: NumFormat | null = null;

  constructor(readonly inF: number, readonly outF: number, readonly wq: WeightQuantSpec, hasBias: boolean, rng: Rng) {
    this.weight = param('weight', outF * inF, true, wq.method === 'binary' ? { clip: [-1, 1] } : {});
    // Glorot-uniform init (binary latent weights: uniform in [-1, 1] scaled the same way)
    const lim = Math.sqrt(6 / (inF + outF));
    for (let i = 0; i < this.weight.value.length; i++) this.weight.value[i] = (rng.float() * 2 - 1) * lim;
    this.bias = hasBias ? param('bias', outF, false) : null;
    this.step = wq.method === 'lsq' ? param('step', wq.perTensor ? 1 : outF, false, { clip: SCALE_CLIP }) : null;
    const n = outF * inF;
    this.q = new Float32Array(n);
    this.scale = new Float32Array(outF);
    this.ste = new Float32Array(n);
    this.what = new Float32Array(n);
    this.dwhat = new Float32Array(n);
    if (this.step) this.initStep();
  }

  /** LSQ step init: 2 mean|w| / sqrt(Q) per row (Esser et al.). */
  initStep(): void {
    const Q = symLevels(this.wq.bits);
    const rows = this.step!.value.length;
    const k = (this.outF * this.inF) / rows;
    for (let o = 0; o < rows; o++) {
      let s = 0;
      for (let i = 0; i < k; i++) s += Math.abs(this.weight.value[o * k + i]!);
      this.step!.value[o] = (2 * s) / k / Math.sqrt(Q);
    }
  }

  outShape(): number[] {
    return [this.outF];
  }

  params(): Param[] {
    return [this.weight, ...(this.bias ? [this.bias] : []), ...(this.step ? [this.step] : []), ...(this.transform?.params() ?? [])];
  }

  /** Recomputes q, scale and w_hat from the latent weights (then the transform's rewrite of w_hat). */
  quantize(train = false): void {
    this.groupScale = quantizeWeights(this.wq, this.weight.value, this.outF, this.inF, this.q, this.scale, this.ste, this.step?.value);
    weightValues(this.wq, this.q, this.scale, this.groupScale, this.outF, this.inF, this.what);
    this.transform?.apply(this.weight.value, this.what, this.ste, this.outF, this.inF, train);
    this.codeFormat = this.transform?.codes?.(this.weight.value, this.q, this.scale, this.outF, this.inF) ?? null;
  }

  /** True when the evaluated weights are integers q times a per-row scale (a quantizer's or a method's codes). */
  integerWeights(): boolean {
    return this.wq.method !== 'none' || this.codeFormat !== null;
  }

  /** The weights the evaluation forward pass uses (w_hat, outF x inF), a copy. */
  effectiveWeights(): Float32Array {
    this.quantize(false);
    return this.what.slice();
  }

  /** c[o] = inScale * scale[o]: the real value of one accumulator step. */
  accScale(o: number): number {
    return this.inScale() * this.scale[o]!;
  }

  /** y = fround(acc * c[o]) (+ bias): the exact-mode output for an integer accumulator. */
  outputOf(acc: number, o: number): number {
    return Math.fround(acc * this.accScale(o) + (this.bias ? this.bias.value[o]! : 0));
  }

  forward(x: Float32Array, n: number, train: boolean): Float32Array {
    this.quantize(train);
    this.y = grow(this.y, n * this.outF);
    this.x = x;
    if (!train && this.exact && this.integerWeights()) this.forwardExact(x, n);
    else gemmNT(x, this.what, n, this.inF, this.outF, this.y, this.bias?.value);
    return this.y;
  }

  private forwardExact(x: Float32Array, n: number): void {
    const k = this.inF;
    const inv = this.inScale();
    // The largest |acc| a sample can reach: below 2^24 every partial sum of integers is exact in float32,
    // so the (fast) float32 GEMM computes the exact accumulator; otherwise sum in float64.
    let maxIn = 0;
    for (let i = 0; i < n * k; i++) maxIn = Math.max(maxIn, Math.abs(roundReal(x[i]! / inv, QAT_ROUNDING)));
    let bound = 0;
    for (let o = 0; o < this.outF; o++) {
      let s = 0;
      for (let i = o * k; i < (o + 1) * k; i++) s += Math.abs(this.q[i]!);
      bound = Math.max(bound, s * maxIn);
    }
    if (bound < 2 ** 24) {
      this.xi = grow(this.xi, n * k);
      for (let i = 0; i < n * k; i++) this.xi[i] = roundReal(x[i]! / inv, QAT_ROUNDING);
      gemmNT(this.xi, this.q, n, k, this.outF, this.y);
      for (let b = 0; b < n; b++) for (let o = 0; o < this.outF; o++) this.y[b * this.outF + o] = this.outputOf(this.y[b * this.outF + o]!, o);
      return;
    }
    if (this.xq.length < k) this.xq = new Float64Array(k);
    for (let b = 0; b < n; b++) {
      for (let i = 0; i < k; i++) this.xq[i] = roundReal(x[b * k + i]! / inv, QAT_ROUNDING);
      for (let o = 0; o < this.outF; o++) {
        let acc = 0;
        const wo = o * k;
        for (let i = 0; i < k; i++) acc += this.q[wo + i]! * this.xq[i]!;
        this.y[b * this.outF + o] = this.outputOf(acc, o);
      }
    }
  }

  backward(dy: Float32Array, n: number): Float32Array {
    this.dx = grow(this.dx, n * this.inF);
    gemmNN(dy, this.what, n, this.outF, this.inF, this.dx);
    this.dwhat.fill(0);
    gemmTN(dy, this.x, n, this.outF, this.inF, this.dwhat);
    const g = this.weight.grad;
    for (let i = 0; i < g.length; i++) g[i] += this.ste[i]! * this.dwhat[i]!;
    // XNOR-Net scaling: the STE ignores d(alpha)/dw (alpha = mean|w| changes slowly), as in BinaryNet.
    this.transform?.backward(this.weight.value, this.dwhat, this.outF, this.inF);
    if (this.bias) {
      const gb = this.bias.grad;
      for (let b = 0; b < n; b++) for (let o = 0; o < this.outF; o++) gb[o] += dy[b * this.outF + o]!;
    }
    if (this.step) {
      // dwhat is dL/dw_hat with w_hat = q * s; LSQ: dL/ds = sum dL/dw_hat * d(w_hat)/ds
      const rows = this.step.value.length;
      lsqWeightStepGrad(this.weight.value, this.dwhat, this.step.value, rows, (this.outF * this.inF) / rows, this.wq.bits, this.step.grad);
    }
    return this.dx;
  }
}
