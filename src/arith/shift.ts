/**
 * THE rounding shift of lowbit: `roundShift(x, n, mode) = round(x / 2^n)` by the ap_fixed rule
 * (docs/arithmetic.md section 1). Every other rounding of integers in lowbit (castFixed, shift-only
 * requantization, the hardware models) calls this file; there is no second copy.
 *
 * Rule: `q = floor(x / 2^n)` (arithmetic shift right), `qb` = bit n-1 of x (first dropped bit),
 * `r` = OR of bits n-2..0 (the other dropped bits), `s` = x < 0, `lsb` = bit 0 of q; the result is
 * `q + (roundIncrement(mode, qb, r, s, lsb) ? 1 : 0)`. For n = 0 nothing is dropped and x is returned.
 *
 * Paths: int32 `x` and n <= 31 use `>>` and masks; other safe integers use exact float division by 2^n
 * (exact for n <= 53; for n >= 54 the dropped bits are known in closed form since |x| < 2^53);
 * `roundShiftBig` is exact for any BigInt and any n.
 */
import { badValue } from '../util/errors.js';
import { roundIncrement, ROUNDINGS, type Rounding } from './modes.js';

/** `POW2[k] = 2^k` for k = 0..64 (exact), so kernels avoid Math.pow per element. */
export const POW2: Float64Array = Float64Array.from({ length: 65 }, (_, k) => 2 ** k);

function checkShift(n: number): void {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw badValue('n', n, 'an integer shift >= 0');
}

/** Throws unless `mode` is one of the 8 rounding modes. */
export function checkRounding(mode: Rounding, name = 'rounding'): Rounding {
  if (!(ROUNDINGS as readonly string[]).includes(mode)) throw badValue(name, mode, `one of ${ROUNDINGS.join(', ')}`);
  return mode;
}

/** roundShift without argument validation, for kernels that validated once. */
export function roundShiftUnchecked(x: number, n: number, mode: Rounding): number {
  if (n === 0) return x + 0; // + 0 turns -0 into 0
  let q: number;
  let qb: boolean;
  let r: boolean;
  if ((x | 0) === x && n <= 31) {
    q = x >> n;
    const rem = n === 31 ? (x & 0x7fffffff) : x & ((1 << n) - 1);
    const half = POW2[n - 1];
    qb = rem >= half;
    r = (qb ? rem - half : rem) !== 0;
  } else if (n <= 53) {
    const p = POW2[n];
    q = Math.floor(x / p); // exact: division by a power of two, then floor
    const rem = x - q * p; // exact: 0 <= rem < 2^n <= 2^53
    const half = p / 2;
    qb = rem >= half;
    r = (qb ? rem - half : rem) !== 0;
  } else if (x >= 0) {
    // 0 <= x < 2^53 <= 2^(n-1): q = 0, first dropped bit 0
    q = 0;
    qb = false;
    r = x !== 0;
  } else {
    // -2^53 < x < 0: q = -1, x + 2^n = 2^(n-1) + (2^(n-1) + x) with 0 < 2^(n-1) + x: qb = 1, r = 1
    q = -1;
    qb = true;
    r = true;
  }
  const lsb = (q & 1) !== 0; // ToInt32 keeps the parity of any safe integer
  return roundIncrement(mode, qb, r, x < 0, lsb) ? q + 1 : q;
}

/** `round(x / 2^n)` by the named ap_fixed rounding mode; `x` a safe integer, `n` an integer >= 0. */
export function roundShift(x: number, n: number, mode: Rounding): number {
  if (!Number.isSafeInteger(x)) throw badValue('x', x, 'a safe integer (|x| < 2^53); use roundShiftBig');
  checkShift(n);
  checkRounding(mode, 'mode');
  return roundShiftUnchecked(x, n, mode);
}

/** Exact `round(x / 2^n)` for any BigInt `x` by the named mode (same rule as `roundShift`). */
export function roundShiftBig(x: bigint, n: number, mode: Rounding): bigint {
  if (typeof x !== 'bigint') throw badValue('x', x, 'a bigint');
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw badValue('n', n, 'an integer shift >= 0');
  checkRounding(mode, 'mode');
  if (n === 0) return x;
  const bn = BigInt(n);
  const q = x >> bn;
  const rem = x & ((1n << bn) - 1n);
  const half = 1n << (bn - 1n);
  const qb = rem >= half;
  const r = (qb ? rem - half : rem) !== 0n;
  return roundIncrement(mode, qb, r, x < 0n, (q & 1n) !== 0n) ? q + 1n : q;
}

/**
 * Batch rounding shift: `out[i] = roundShift(src[i], n, mode)`. Validates once, allocates nothing per
 * element. `out` may be `src` (in place).
 */
export function roundShiftArray<T extends Int32Array | Float64Array>(
  src: ArrayLike<number>,
  n: number,
  mode: Rounding,
  out: T,
): T {
  checkShift(n);
  checkRounding(mode, 'mode');
  if (out.length < src.length) throw badValue('out.length', out.length, `at least src.length (${src.length})`);
  for (let i = 0; i < src.length; i++) {
    const x = src[i];
    if (!Number.isSafeInteger(x)) throw badValue(`src[${i}]`, x, 'a safe integer');
    out[i] = roundShiftUnchecked(x, n, mode);
  }
  return out;
}
