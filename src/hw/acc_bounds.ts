import { signedBitsFor } from './design.js';

/**
 * The narrowest safe accumulator of a dot-product layer, from its weights (docs/estimate.md "Accumulator
 * widths"). One implementation of the proof rule, used by `lowbit estimate`, the accelerator compiler
 * and the tests.
 *
 * Rule. Let each input term x_k (already minus its zero point) range over [xlo, xhi] with xlo <= 0 <= xhi
 * (padding reads 0, which is inside). The product w_k x_k then lies in [n_k, p_k] with
 *   n_k = min(w_k xlo, w_k xhi) <= 0 <= p_k = max(w_k xlo, w_k xhi),
 * and both ends are reached (x_k = xlo or xhi). Because n_k <= 0 <= p_k, every partial sum over a subset
 * of a group of terms lies in [sum n_k, sum p_k] over the whole group, and those ends are reached by one
 * input. Hence:
 *   - one register (bias first, then the K products): every value it holds lies in
 *     [bias + sum_k n_k, bias + sum_k p_k]; it never overflows iff its width holds that interval — the
 *     same condition for WRAP (only the final sum must fit, the interval is its exact range) and SAT
 *     (every prefix must fit; the prefixes share the interval);
 *   - chunked (chunks of L terms in the GEMM's K order, each summed from 0 in a narrow register, then
 *     added into a wide one that started at the bias): the narrow register needs, over every chunk c,
 *     [sum_{k in c} n_k, sum_{k in c} p_k]; the wide one needs the one-register interval above.
 * The width is the smallest two's-complement width holding the union over the layer's outputs
 * (`signedBitsFor`). Both bounds are attained by some input, so one bit fewer overflows on that input.
 */
export interface AccRange {
  lo: number;
  hi: number;
}

export interface LayerAccBounds {
  /** every value of a one-register accumulator (= the wide register of a chunked one), all outputs */
  total: AccRange;
  /** the smallest width holding `total` */
  bits: number;
  /** with `chunk`: every value of the narrow register, over all chunks and outputs */
  chunk?: AccRange;
  /** with `chunk`: the smallest width holding `chunk` */
  chunkBits?: number;
}

/**
 * Bounds for `rows` outputs with weights `w` (row-major rows x K, zero point already subtracted, in the
 * GEMM's K order), inputs in [xlo, xhi] (widened to contain 0), optional int32 bias per row and chunk
 * length. Sums are exact doubles while K * max|w| * max|x| < 2^53 (checked).
 */
export function accBounds(
  w: ArrayLike<number>, rows: number, K: number, xlo: number, xhi: number,
  bias: ArrayLike<number> | null, chunk?: number,
): LayerAccBounds {
  const lo = Math.min(xlo, 0);
  const hi = Math.max(xhi, 0);
  const L = chunk ?? K;
  const total: AccRange = { lo: Infinity, hi: -Infinity };
  const part: AccRange = { lo: 0, hi: 0 }; // every chunk's interval contains 0
  let maxW = 0;
  for (let i = 0; i < rows * K; i++) maxW = Math.max(maxW, Math.abs(w[i]));
  if (K * maxW * Math.max(-lo, hi) >= 2 ** 53) throw new Error(`internal: accumulator bound beyond 2^53 (K = ${K})`);
  for (let r = 0; r < rows; r++) {
    let n = 0;
    let p = 0;
    for (let k0 = 0; k0 < K; k0 += L) {
      let cn = 0;
      let cp = 0;
      for (let k = k0; k < Math.min(K, k0 + L); k++) {
        const a = w[r * K + k] * lo;
        const b = w[r * K + k] * hi;
        cn += a < b ? a : b;
        cp += a < b ? b : a;
      }
      part.lo = Math.min(part.lo, cn);
      part.hi = Math.max(part.hi, cp);
      n += cn;
      p += cp;
    }
    const b = bias ? bias[r] : 0;
    total.lo = Math.min(total.lo, b + n);
    total.hi = Math.max(total.hi, b + p);
  }
  if (rows === 0) [total.lo, total.hi] = [0, 0];
  const out: LayerAccBounds = { total, bits: widthOf(total) };
  if (chunk !== undefined) {
    out.chunk = part;
    out.chunkBits = widthOf(part);
  }
  return out;
}

/** Smallest signed width (at least 2, the Design's minimum) holding [r.lo, r.hi]. */
export function widthOf(r: AccRange): number {
  return Math.max(2, signedBitsFor(BigInt(r.lo), BigInt(r.hi)));
}
