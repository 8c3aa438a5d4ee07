/**
 * Rounding and overflow modes, named as in Xilinx `ap_fixed` (docs/arithmetic.md section 1).
 *
 * A value is quantized by flooring the exact result (arithmetic shift) and then adding 1 when the rule
 * below holds. `qb` is the first dropped bit, `r` the OR of the other dropped bits, `s` the sign of the
 * source, `lsb` the lowest kept bit.
 */
export type Rounding =
  /** never add: floor, toward -inf */
  | 'TRN'
  /** `s && (qb || r)`: toward zero */
  | 'TRN_ZERO'
  /** `qb`: nearest, ties toward +inf */
  | 'RND'
  /** `qb && (s || r)`: nearest, ties toward zero */
  | 'RND_ZERO'
  /** `qb && r`: nearest, ties toward -inf */
  | 'RND_MIN_INF'
  /** `qb && (!s || r)`: nearest, ties away from zero */
  | 'RND_INF'
  /** `qb && (lsb || r)`: nearest, ties to even */
  | 'RND_CONV'
  /** `qb && (!lsb || r)`: nearest, ties to odd (ac_fixed only) */
  | 'RND_CONV_ODD';

export const ROUNDINGS: readonly Rounding[] = [
  'TRN', 'TRN_ZERO', 'RND', 'RND_ZERO', 'RND_MIN_INF', 'RND_INF', 'RND_CONV', 'RND_CONV_ODD',
];

/**
 * The rounding of a fixed-point cast: one of the eight modes above, or STOCHASTIC (Gupta et al. 2015):
 * round up with probability (x - floor x) / lsb, exact in integers — add a uniform random integer of the
 * dropped width, then floor (docs/arithmetic.md section 1). STOCHASTIC needs a seeded Rng; the RTL
 * implements the eight deterministic modes only (ROUNDINGS, in its numbering).
 */
export type CastRounding = Rounding | 'STOCHASTIC';

/**
 * What happens when a quantized value does not fit the target width W.
 * - WRAP: keep the low W bits (two's complement wrap, i.e. modulo 2^W).
 * - SAT: clamp to max / min.
 * - SAT_ZERO: 0.
 * - SAT_SYM: signed: clamp to +max / -max, and an exact MIN coming from a signed source becomes -max;
 *   unsigned: like SAT.
 * - WRAP_SM: keep the low W bits; if the kept MSB differs from the lowest deleted bit, invert the kept bits.
 */
export type Overflow = 'WRAP' | 'SAT' | 'SAT_ZERO' | 'SAT_SYM' | 'WRAP_SM';

export const OVERFLOWS: readonly Overflow[] = ['WRAP', 'SAT', 'SAT_ZERO', 'SAT_SYM', 'WRAP_SM'];

/**
 * The add-one decision of the table above — the single definition every rounding path uses.
 * All arguments are booleans describing the dropped bits; returns whether to add 1 to the floored value.
 */
export function roundIncrement(mode: Rounding, qb: boolean, r: boolean, s: boolean, lsb: boolean): boolean {
  switch (mode) {
    case 'TRN':
      return false;
    case 'TRN_ZERO':
      return s && (qb || r);
    case 'RND':
      return qb;
    case 'RND_ZERO':
      return qb && (s || r);
    case 'RND_MIN_INF':
      return qb && r;
    case 'RND_INF':
      return qb && (!s || r);
    case 'RND_CONV':
      return qb && (lsb || r);
    case 'RND_CONV_ODD':
      return qb && (!lsb || r);
  }
}

/**
 * Rounds a real number to an integer by a named mode (the table above applied to the exact binary
 * fraction): x = floor(x) + f with f in [0, 1), qb = (f >= 1/2), r = (f is neither 0 nor 1/2),
 * s = (x < 0), lsb = floor(x) odd. `x` finite with |x| < 2^52 (then f is exact). RND is exactly
 * `Math.round` (nearest, ties toward +inf) and RND_CONV is round half to even (ONNX's rint).
 */
export function roundReal(x: number, mode: Rounding): number {
  if (mode === 'RND') return Math.round(x);
  const fl = Math.floor(x);
  const f = x - fl;
  return roundIncrement(mode, f >= 0.5, f !== 0 && f !== 0.5, x < 0, fl % 2 !== 0) ? fl + 1 : fl;
}
