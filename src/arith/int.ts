/**
 * Integer formats of any width 1..64, signed (two's complement) or unsigned (docs/arithmetic.md section 1,
 * overflow table restricted to WRAP and SAT).
 *
 * - WRAP: `x mod 2^W` mapped into the format's range (keep the low W bits).
 * - SAT:  `min(max(x, intMin), intMax)`.
 *
 * Two paths with identical results (tested equal at widths 1, 2, 7, 8, 16, 31, 32, 33, 53, 54, 63, 64):
 * - number (`wrapInt`, `saturateInt`, `castInt`): `x` must be a safe integer (|x| < 2^53). Widths <= 32
 *   use 32-bit bitwise ops (ToInt32 is exactly `x mod 2^32`); widths 33..64 use exact float arithmetic on
 *   powers of two. A result that is not a safe integer (e.g. wrapping -1 to u64) throws: use the BigInt path.
 * - BigInt (`wrapIntBig`, `saturateIntBig`, `castIntBig`): exact for any BigInt input, any width.
 */
import { badValue } from '../util/errors.js';
import type { IntFormat } from './format.js';

/** The overflow modes that apply to plain integers. */
export type IntOverflow = 'WRAP' | 'SAT';

/** Validates an IntFormat; `name` is the argument name used in the error. */
export function checkIntFormat(f: IntFormat, name = 'format'): IntFormat {
  if (f === null || typeof f !== 'object') throw badValue(name, f, "{type: 'int', bits: 1..64, signed: boolean}");
  if (f.type !== 'int') throw badValue(`${name}.type`, f.type, "'int' (an integer format)");
  const b = f.bits;
  if (typeof b !== 'number' || !Number.isInteger(b) || b < 1 || b > 64) {
    throw badValue(`${name}.bits`, b, 'an integer 1..64');
  }
  if (typeof f.signed !== 'boolean') throw badValue(`${name}.signed`, f.signed, 'true or false');
  return f;
}

/** Smallest value of the format: `-2^(W-1)` signed, `0` unsigned. */
export function intMin(f: IntFormat): bigint {
  checkIntFormat(f);
  return f.signed ? -(1n << BigInt(f.bits - 1)) : 0n;
}

/** Largest value of the format: `2^(W-1) - 1` signed, `2^W - 1` unsigned. */
export function intMax(f: IntFormat): bigint {
  checkIntFormat(f);
  return f.signed ? (1n << BigInt(f.bits - 1)) - 1n : (1n << BigInt(f.bits)) - 1n;
}

function checkSafe(name: string, x: number): void {
  if (!Number.isSafeInteger(x)) throw badValue(name, x, 'a safe integer (|x| < 2^53); use the BigInt variant');
}

/** WRAP without validation; `f` is valid, `x` a safe integer. Shared by the batch kernels. */
export function wrapIntUnchecked(x: number, bits: number, signed: boolean): number {
  if (bits <= 32) {
    const sh = 32 - bits;
    return signed ? ((x | 0) << sh) >> sh : ((x | 0) << sh) >>> sh;
  }
  const m = 2 ** bits;
  let r = (x % m) + 0; // + 0 turns -0 into 0; exact: remainder by a power of two, sign of x, |r| < m
  if (signed) {
    // |x| < 2^53 <= 2^(bits-1) for bits >= 54: already in range
    if (r >= m / 2) r -= m;
    else if (r < -m / 2) r += m;
  } else if (r < 0) {
    r += m; // exact for bits <= 53; for wider widths the true result is >= 2^53 and the caller rejects it
  }
  return r;
}

/** `x mod 2^W` in the format's range (keep the low W bits). `x` a safe integer; the result must be too. */
export function wrapInt(x: number, f: IntFormat): number {
  checkIntFormat(f);
  checkSafe('x', x);
  const r = wrapIntUnchecked(x, f.bits, f.signed);
  if (!Number.isSafeInteger(r)) {
    throw badValue('x', x, `a value whose wrap to ${f.signed ? 'i' : 'u'}${f.bits} is a safe integer; use wrapIntBig`);
  }
  return r;
}

/** `min(max(x, intMin), intMax)`; `x` a safe integer. Exact for every width (bounds past 2^53 never bind). */
export function saturateInt(x: number, f: IntFormat): number {
  checkIntFormat(f);
  checkSafe('x', x);
  return saturateIntUnchecked(x, f.bits, f.signed);
}

/** SAT without validation. For W > 53 the float bounds are inexact but no safe integer reaches them. */
export function saturateIntUnchecked(x: number, bits: number, signed: boolean): number {
  const lo = signed ? -(2 ** (bits - 1)) : 0;
  const hi = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  return x < lo ? lo : x > hi ? hi : x;
}

/** Casts a safe integer to the format with the named overflow mode. */
export function castInt(x: number, f: IntFormat, overflow: IntOverflow): number {
  if (overflow === 'WRAP') return wrapInt(x, f);
  if (overflow === 'SAT') return saturateInt(x, f);
  throw badValue('overflow', overflow, 'WRAP or SAT');
}

/** Exact WRAP for any BigInt: `BigInt.asIntN` / `asUintN`. */
export function wrapIntBig(x: bigint, f: IntFormat): bigint {
  checkIntFormat(f);
  if (typeof x !== 'bigint') throw badValue('x', x, 'a bigint');
  return f.signed ? BigInt.asIntN(f.bits, x) : BigInt.asUintN(f.bits, x);
}

/** Exact SAT for any BigInt. */
export function saturateIntBig(x: bigint, f: IntFormat): bigint {
  if (typeof x !== 'bigint') throw badValue('x', x, 'a bigint');
  const lo = intMin(f);
  const hi = intMax(f);
  return x < lo ? lo : x > hi ? hi : x;
}

/** Exact cast of a BigInt with the named overflow mode. */
export function castIntBig(x: bigint, f: IntFormat, overflow: IntOverflow): bigint {
  if (overflow === 'WRAP') return wrapIntBig(x, f);
  if (overflow === 'SAT') return saturateIntBig(x, f);
  throw badValue('overflow', overflow, 'WRAP or SAT');
}

/** Integer-valued typed arrays the batch kernels accept and write. */
export type IntArray = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float64Array;

/**
 * Batch cast: `out[i] = castInt(src[i], f, overflow)`. Allocates nothing per element. `out` must be at
 * least as long as `src` and able to hold the format (e.g. Int32Array for <= i32, Float64Array above).
 */
export function castIntArray(src: ArrayLike<number>, f: IntFormat, overflow: IntOverflow, out: IntArray): IntArray {
  checkIntFormat(f);
  if (overflow !== 'WRAP' && overflow !== 'SAT') throw badValue('overflow', overflow, 'WRAP or SAT');
  if (out.length < src.length) throw badValue('out.length', out.length, `at least src.length (${src.length})`);
  const { bits, signed } = f;
  const wrap = overflow === 'WRAP';
  for (let i = 0; i < src.length; i++) {
    const x = src[i];
    if (!Number.isSafeInteger(x)) throw badValue(`src[${i}]`, x, 'a safe integer');
    const r = wrap ? wrapIntUnchecked(x, bits, signed) : saturateIntUnchecked(x, bits, signed);
    if (!Number.isSafeInteger(r)) throw badValue(`src[${i}]`, x, 'a value whose wrap is a safe integer');
    out[i] = r;
  }
  return out;
}
