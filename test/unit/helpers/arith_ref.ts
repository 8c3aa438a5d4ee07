/**
 * Independent reference definitions for the arith tests, written from the *meaning* of each mode
 * (exact rationals as BigInt numerator/denominator), not from the qb/r/lsb bit rule that src/arith uses.
 */
import type { Overflow, Rounding } from '../../../src/arith/index.js';

/** floor(num / den) for den > 0. */
export function floorDiv(num: bigint, den: bigint): bigint {
  const q = num / den;
  return q * den > num ? q - 1n : q;
}

/** Round the rational num/den (den > 0) to an integer by the named mode's meaning. */
export function refRound(num: bigint, den: bigint, mode: Rounding): bigint {
  const fl = floorDiv(num, den);
  const rem = num - fl * den; // 0 <= rem < den
  if (mode === 'TRN') return fl;
  if (mode === 'TRN_ZERO') return num < 0n && rem !== 0n ? fl + 1n : fl;
  const twice = 2n * rem;
  if (twice < den) return fl;
  if (twice > den) return fl + 1n;
  switch (mode) {
    case 'RND': return fl + 1n; // ties toward +inf
    case 'RND_ZERO': return num < 0n ? fl + 1n : fl;
    case 'RND_MIN_INF': return fl;
    case 'RND_INF': return num < 0n ? fl : fl + 1n;
    case 'RND_CONV': return fl % 2n === 0n ? fl : fl + 1n;
    case 'RND_CONV_ODD': return fl % 2n !== 0n ? fl : fl + 1n;
    default: throw new Error(`unknown mode ${mode as string}`);
  }
}

/**
 * Overflow by meaning on an integer v for a W-bit target. `trunc` is the truncated (floored) value,
 * whose bit W is the lowest deleted bit used by WRAP_SM; `srcSigned` is the source's signedness.
 */
export function refOverflow(v: bigint, trunc: bigint, W: number, signed: boolean, mode: Overflow, srcSigned: boolean): bigint {
  const m = 1n << BigInt(W);
  const min = signed ? -(m / 2n) : 0n;
  const max = signed ? m / 2n - 1n : m - 1n;
  const inRange = v >= min && v <= max;
  const toSigned = (u: bigint): bigint => (signed && u >= m / 2n ? u - m : u);
  const low = ((v % m) + m) % m; // low W bits as an unsigned number
  switch (mode) {
    case 'WRAP': return toSigned(low);
    case 'SAT': return v < min ? min : v > max ? max : v;
    case 'SAT_ZERO': return inRange ? v : 0n;
    case 'SAT_SYM': {
      if (!signed) return v < min ? min : v > max ? max : v;
      if (v > max) return max;
      if (v < min || (v === min && srcSigned)) return -max;
      return v;
    }
    case 'WRAP_SM': {
      if (inRange) return v;
      const msb = low / (m / 2n); // 0 or 1
      const lD = ((floorDiv(trunc, m) % 2n) + 2n) % 2n;
      return toSigned(msb !== lD ? m - 1n - low : low);
    }
  }
}
