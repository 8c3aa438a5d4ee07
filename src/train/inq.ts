/**
 * Incremental Network Quantization (Zhou, Yao, Guo, Xu & Chen, ICLR 2017), per weighted layer, on an FP32
 * network (activations stay full precision, as in the paper):
 * - The level set is fixed at the first partition from the layer's weights then: {0, +-2^n2 .. +-2^n1},
 *   n1 = floor(log2(4 max|w| / 3)), n2 = n1 + 1 - 2^(b-1) / 2 (b bits: one for zero, the rest for the
 *   signed exponents), and a weight goes to its level by the paper's rule (arith/pow2.ts `pow2Level`).
 * - `partition(f)`: the accumulated portion f of the layer's weights (e.g. 0.5, 0.75, 0.875, 1) is frozen,
 *   taking the largest |w| among those not yet frozen (ties by position) until round(f N) are frozen;
 *   each newly frozen weight is set to its power-of-two level.
 * - Retraining (the `apply` rewrite): w_hat = level for frozen weights, with dL/dw = 0 (the mask T of the
 *   paper's update w <- w - lr dL/dw T), and w_hat = w for the rest.
 * - Codes (`codes`): once every weight is frozen, w_hat = 2^n2 q exactly with q = level / 2^n2 in
 *   {0, +-1, +-2, .., +-2^(n1-n2)}: integers of n1 - n2 + 2 signed bits (arith/pow2.ts), one scale 2^n2
 *   for the whole layer. A layer whose weights are all 0 (no range) has q = 0, scale 1.
 */
import { intFormat, type NumFormat } from '../arith/format.js';
import { pow2Level, pow2Range } from '../arith/pow2.js';
import type { Param, WeightTransform } from './layer.js';

export class InqTransform implements WeightTransform {
  readonly name = 'inq';
  readonly frozen: Uint8Array;
  readonly level: Float32Array;
  range: { n1: number; n2: number } | null = null;
  /** the accumulated portion frozen so far */
  portion = 0;

  constructor(readonly bits: number, size: number) {
    this.frozen = new Uint8Array(size);
    this.level = new Float32Array(size);
  }

  params(): Param[] {
    return [];
  }

  /** Freezes the largest-magnitude free weights of `w` until round(f N) are frozen, onto their levels. */
  partition(w: Float32Array, f: number): void {
    if (!this.range) {
      let mx = 0;
      for (let i = 0; i < w.length; i++) mx = Math.max(mx, Math.abs(w[i]!));
      this.range = mx > 0 ? pow2Range(mx, this.bits) : { n1: 0, n2: 0 };
    }
    let count = 0;
    for (let i = 0; i < w.length; i++) count += this.frozen[i]!;
    const want = Math.round(f * w.length);
    if (want <= count) return;
    const free = Int32Array.from({ length: w.length }, (_, i) => i).filter((i) => !this.frozen[i]);
    free.sort((a, b) => Math.abs(w[b]!) - Math.abs(w[a]!) || a - b);
    const { n1, n2 } = this.range;
    for (let j = 0; j < want - count; j++) {
      const i = free[j]!;
      this.frozen[i] = 1;
      this.level[i] = pow2Level(w[i]!, n1, n2);
    }
    this.portion = f;
  }

  apply(w: Float32Array, what: Float32Array, ste: Float32Array): void {
    for (let i = 0; i < w.length; i++) {
      if (this.frozen[i]) {
        what[i] = this.level[i]!;
        ste[i] = 0;
      }
    }
  }

  backward(): void {}

  codes(_w: Float32Array, q: Float32Array, scale: Float32Array, rows: number): NumFormat | null {
    if (!this.frozen.every((f) => f === 1) || !this.range) return null;
    const { n1, n2 } = this.range;
    const unit = 2 ** n2;
    for (let i = 0; i < q.length; i++) q[i] = this.level[i]! / unit;
    scale.fill(unit, 0, rows);
    return intFormat(n1 - n2 + 2, true);
  }
}
