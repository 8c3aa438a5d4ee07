/**
 * Trained Ternary Quantization (Zhu, Han, Mao & Dally, ICLR 2017), per layer:
 *   delta = t * max|w|  (t = 0.05 in the paper; the max held constant in the backward pass)
 *   w_t = W_p  if w > delta;  0  if |w| <= delta;  -W_n  if w < -delta          (eq. 6)
 * with W_p, W_n > 0 learned. Gradients (eq. 7, 8), g = dL/dw_t:
 *   dL/dW_p = sum_{i: w_i > delta} g_i,   dL/dW_n = -sum_{i: w_i < -delta} g_i
 *   dL/dw_i = W_p g_i (w_i > delta),  g_i (|w_i| <= delta),  W_n g_i (w_i < -delta)
 * The paper prints dL/dW_n as the plain sum over I_n, stating the scale's magnitude; with w_t = -W_n the
 * chain rule gives the minus sign, as the authors' code (w = sign(w) * mask * W_n) computes.
 * W_p and W_n start at the mean |w| of the layer's initial positive / negative kept weights.
 */
import { param, SCALE_CLIP, type Param, type WeightTransform } from './layer.js';

export class TtqTransform implements WeightTransform {
  readonly name = 'ttq';
  readonly wp: Param;
  readonly wn: Param;

  constructor(readonly t: number, w: Float32Array) {
    this.wp = param('ttq_wp', 1, false, { clip: SCALE_CLIP });
    this.wn = param('ttq_wn', 1, false, { clip: SCALE_CLIP });
    const d = this.delta(w);
    let sp = 0, np = 0, sn = 0, nn = 0;
    for (const v of w) {
      if (v > d) (sp += v), np++;
      else if (v < -d) (sn -= v), nn++;
    }
    this.wp.value[0] = np > 0 ? sp / np : d || 1;
    this.wn.value[0] = nn > 0 ? sn / nn : d || 1;
  }

  /** delta = t * max|w| over the layer. */
  delta(w: Float32Array): number {
    let mx = 0;
    for (let i = 0; i < w.length; i++) mx = Math.max(mx, Math.abs(w[i]!));
    return this.t * mx;
  }

  params(): Param[] {
    return [this.wp, this.wn];
  }

  apply(w: Float32Array, what: Float32Array, ste: Float32Array): void {
    const d = this.delta(w);
    const wp = this.wp.value[0]!;
    const wn = this.wn.value[0]!;
    for (let i = 0; i < w.length; i++) {
      const v = w[i]!;
      if (v > d) {
        what[i] = wp;
        ste[i] = wp;
      } else if (v < -d) {
        what[i] = -wn;
        ste[i] = wn;
      } else {
        what[i] = 0;
        ste[i] = 1;
      }
    }
  }

  backward(w: Float32Array, dwhat: Float32Array): void {
    const d = this.delta(w);
    let gp = 0;
    let gn = 0;
    for (let i = 0; i < w.length; i++) {
      if (w[i]! > d) gp += dwhat[i]!;
      else if (w[i]! < -d) gn -= dwhat[i]!;
    }
    this.wp.grad[0] += gp;
    this.wn.grad[0] += gn;
  }
}
