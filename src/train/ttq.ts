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
 *
 * Integer codes (`scaleBits` B, 2..8): the forward uses the learned scales rounded onto one power-of-two grid,
 *   e = floor(log2 max(W_p, W_n)) - (B - 1),  c_p = clamp(round(W_p / 2^e), 1, 2^B - 1),  c_n likewise,
 * w_t in {c_p 2^e, 0, -c_n 2^e} (the gradients above go to the unrounded W_p, W_n: a straight-through
 * estimator). Then w_t = 2^e q exactly with q in {-c_n, 0, c_p}: (B + 1)-bit signed codes and one scale per
 * layer, so the two learned scales are exact in an integer model (the ratio W_p / W_n is kept to B bits).
 * Without B the scales are the paper's floats and the layer has no integer codes.
 *
 * Power-of-two scales (`pow2`, `--ttq-shift`, for the multiplier-free shift PE, hw/pe_kind.ts): each scale is
 * rounded to its nearest power of two instead, INQ's rule (arith/pow2.ts `pow2Level`, ties 1.5 2^k up) on the
 * levels 2^e .. 2^top, top = floor(log2(4 max(W_p, W_n) / 3)) (the larger scale's nearest power of two),
 * e = top - (B - 1), and at least 2^e: c_p, c_n in {1, 2, 4, .., 2^(B-1)}. The codes {-c_n, 0, c_p} are then
 * 0 or +-2^j (j < B), shift codes, and the asymmetry survives as a power-of-two ratio W_p / W_n.
 */
import { roundReal } from '../arith/index.js';
import { pow2Level, pow2Range } from '../arith/pow2.js';
import { intFormat, type NumFormat } from '../arith/format.js';
import { param, SCALE_CLIP, type Param, type WeightTransform } from './layer.js';
import { QAT_ROUNDING } from './quantizers.js';

/** The grid of the two scales with B significant bits (file header): w_p = c_p 2^e, w_n = c_n 2^e; with
 * `pow2` the codes c are powers of two (shift codes). */
export function ttqScaleGrid(wp: number, wn: number, bits: number, pow2 = false): { cp: number; cn: number; e: number } {
  const m = Math.max(wp, wn);
  if (pow2) {
    const top = pow2Range(m, 2).n1;
    const e = top - (bits - 1);
    const code = (v: number): number => Math.max(1, pow2Level(v, top, e) / 2 ** e);
    return { cp: code(wp), cn: code(wn), e };
  }
  let top = Math.floor(Math.log2(m));
  if (2 ** top > m) top--;
  else if (2 ** (top + 1) <= m) top++;
  const e = top - (bits - 1);
  const code = (v: number): number => Math.min(2 ** bits - 1, Math.max(1, roundReal(v / 2 ** e, QAT_ROUNDING)));
  return { cp: code(wp), cn: code(wn), e };
}

export class TtqTransform implements WeightTransform {
  readonly name = 'ttq';
  readonly wp: Param;
  readonly wn: Param;

  constructor(readonly t: number, w: Float32Array, readonly scaleBits?: number, readonly pow2 = false) {
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

  /** The scales the forward uses: the learned ones, or on the grid with `scaleBits`. */
  scales(): { wp: number; wn: number } {
    const [wp, wn] = [this.wp.value[0]!, this.wn.value[0]!];
    if (this.scaleBits === undefined) return { wp, wn };
    const g = ttqScaleGrid(wp, wn, this.scaleBits, this.pow2);
    return { wp: g.cp * 2 ** g.e, wn: g.cn * 2 ** g.e };
  }

  apply(w: Float32Array, what: Float32Array, ste: Float32Array): void {
    const d = this.delta(w);
    const { wp, wn } = this.scales();
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

  codes(w: Float32Array, q: Float32Array, scale: Float32Array, rows: number): NumFormat | null {
    if (this.scaleBits === undefined) return null;
    const { cp, cn, e } = ttqScaleGrid(this.wp.value[0]!, this.wn.value[0]!, this.scaleBits, this.pow2);
    const d = this.delta(w);
    for (let i = 0; i < w.length; i++) q[i] = w[i]! > d ? cp : w[i]! < -d ? -cn : 0;
    scale.fill(2 ** e, 0, rows);
    return intFormat(this.scaleBits + 1, true);
  }
}
