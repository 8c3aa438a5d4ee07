/**
 * Integer requantization (docs/arithmetic.md section 2): gemmlowp / TensorFlow Lite fixed-point multipliers,
 * and the ONNX Runtime float32 rescale (section 3).
 *
 * All results are exact in JS numbers: 32x32-bit products (up to 2^62) are split into a 16-bit low half
 * and a high half so every partial product stays below 2^53 (no BigInt on the hot path). The BigInt
 * definitions in test/unit/requant.test.ts check these kernels on seeded random inputs.
 */
import { badValue } from '../util/errors.js';
import { POW2 } from './shift.js';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const TWO31 = 2147483648;
const TWO32 = 4294967296;

function checkI32(name: string, v: number): void {
  if ((v | 0) !== v) throw badValue(name, v, 'an int32 (-2^31..2^31-1)');
}

/** frexp: `m = q * 2^e` with `0.5 <= |q| < 1` (exact; m finite, nonzero). */
function frexp(m: number): { q: number; e: number } {
  let e = Math.ceil(Math.log2(Math.abs(m)));
  // correct the estimate: scale by exact powers of two until 0.5 <= |q| < 1
  let q = m * 2 ** -e;
  if (!Number.isFinite(q) || q === 0) {
    // subnormal or near-overflow: scale in two steps to stay exact
    const h = Math.trunc(e / 2);
    q = m * 2 ** -h * 2 ** -(e - h);
  }
  while (Math.abs(q) >= 1) { q /= 2; e += 1; }
  while (Math.abs(q) < 0.5) { q *= 2; e -= 1; }
  return { q, e };
}

/**
 * TFLite `QuantizeMultiplier`: a real multiplier `m` as `M * 2^(shift - 31)` with `M` an int32.
 * `m = 0 -> (0, 0)`; else `q, shift = frexp(m)`, `M = round(q * 2^31)` with ties away from zero;
 * if `|M| == 2^31` then `M /= 2, shift += 1`; if `shift < -31` then `M = 0, shift = 0`.
 */
export function quantizeMultiplier(m: number): { multiplier: number; shift: number } {
  if (typeof m !== 'number' || !Number.isFinite(m)) throw badValue('m', m, 'a finite number');
  if (m === 0) return { multiplier: 0, shift: 0 };
  const { q, e } = frexp(m);
  const a = Math.abs(q) * TWO31; // exact: power-of-two scaling
  const fl = Math.floor(a);
  let M = a - fl >= 0.5 ? fl + 1 : fl; // ties away from zero (on the magnitude)
  let shift = e | 0; // also normalizes -0
  if (M === TWO31) {
    M /= 2;
    shift += 1;
  }
  if (shift < -31) return { multiplier: 0, shift: 0 };
  return { multiplier: q < 0 ? -M : M, shift };
}

/**
 * `floor((A * 2^16 + B) / 2^ts)` for safe integers A (|A| < 2^47), B (|B| < 2^49), 16 <= ts <= 63:
 * `floor((A + floor(B / 2^16)) / 2^(ts-16))` — exact, because flooring the low part first does not
 * change the floor of the sum (the dropped fraction is < 1 and the divisor an integer).
 */
function floorSplit(A: number, B: number, ts: number): number {
  // multiplying by an exact inverse power of two equals the division (and is faster)
  return Math.floor((A + Math.floor(B * INV2_16)) * INV_POW2[ts - 16]);
}

const INV2_16 = 2 ** -16;
const INV2_31 = 2 ** -31;
const TWO52 = 2 ** 52;
/** `INV_POW2[k] = 2^-k`, k = 0..64. */
const INV_POW2: Float64Array = Float64Array.from({ length: 65 }, (_, k) => 2 ** -k);

/**
 * gemmlowp `SaturatingRoundingDoublingHighMul(a, b)` on int32: INT32_MAX when `a == b == INT32_MIN`,
 * else `floor((a*b + 2^30) / 2^31)` (ties toward +inf). Exact via a 16-bit split of `b`.
 */
export function srdhm(a: number, b: number): number {
  checkI32('a', a);
  checkI32('b', b);
  return srdhmUnchecked(a, b);
}

/** srdhm without argument checks (kernels validate once). */
export function srdhmUnchecked(a: number, b: number): number {
  const p = a * b;
  // |a*b| < 2^52: the double product and the + 2^30 are exact, one floor does it
  if (p < TWO52 && p > -TWO52) return Math.floor((p + 1073741824) * INV2_31) | 0;
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const bl = b & 0xffff;
  const bh = b >> 16;
  // a*b + 2^30 = (a*bh + 2^14) * 2^16 + a*bl
  return floorSplit(a * bh + 16384, a * bl, 31) | 0; // in int32; `| 0` also turns -0 into 0
}

/**
 * gemmlowp `RoundingDivideByPOT(x, e)`, 0 <= e <= 31: `mask = 2^e - 1`, `rem = x & mask`,
 * `thr = (mask >> 1) + (x < 0)`, result `(x >> e) + (rem > thr)` — round to nearest, ties away from zero.
 */
export function roundingDivideByPOT(x: number, e: number): number {
  checkI32('x', x);
  if (!Number.isInteger(e) || e < 0 || e > 31) throw badValue('e', e, 'an integer exponent 0..31');
  return rdbpotUnchecked(x, e);
}

/** roundingDivideByPOT without argument checks. */
export function rdbpotUnchecked(x: number, e: number): number {
  const mask = e === 31 ? 0x7fffffff : (1 << e) - 1;
  const rem = x & mask;
  const thr = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> e) + (rem > thr ? 1 : 0);
}

/** TFLite's two builds of `MultiplyByQuantizedMultiplier`. */
export type RequantVariant = 'double' | 'single';
export const REQUANT_VARIANTS: readonly RequantVariant[] = ['double', 'single'];

/**
 * TFLite `MultiplyByQuantizedMultiplier(x, M, shift)`, int32 in and out, `-31 <= shift <= 30`.
 * - `double` (TFLite default, two roundings): `RDBPOT(SRDHM(x * 2^max(shift,0), M), max(-shift,0))`;
 *   the left shift is a plain int32 multiply and wraps modulo 2^32.
 * - `single` (TFLITE_SINGLE_ROUNDING): requires `M >= 0`; `ts = 31 - shift`;
 *   `(x*M + 2^(ts-1)) >> ts` (floor, ties toward +inf). TFLite DCHECKs that this fits int32; release
 *   builds truncate with `static_cast<int32_t>`, so lowbit wraps the result modulo 2^32 the same way.
 * The two agree except on inputs where the double variant's first rounding lands on an exact tie of
 * the second (see test/unit/requant.test.ts for the characterization).
 */
export function multiplyByQuantizedMultiplier(x: number, M: number, shift: number, variant: RequantVariant): number {
  checkI32('x', x);
  checkI32('M', M);
  if (!Number.isInteger(shift) || shift < -31 || shift > 30) throw badValue('shift', shift, 'an integer -31..30');
  if (variant === 'double') return mbqmDouble(x, M, shift);
  if (variant === 'single') {
    if (M < 0) throw badValue('M', M, 'a multiplier >= 0 for the single-rounding variant');
    return mbqmSingle(x, M, shift);
  }
  throw badValue('variant', variant, 'double or single');
}

/** Double-rounding kernel, no checks. */
export function mbqmDouble(x: number, M: number, shift: number): number {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  return rdbpotUnchecked(srdhmUnchecked(Math.imul(x, 1 << left), M), right);
}

/** Single-rounding kernel, no checks (M >= 0, -31 <= shift <= 30). Result wrapped to int32. */
export function mbqmSingle(x: number, M: number, shift: number): number {
  const ts = 31 - shift; // 1..62
  const ml = M & 0xffff;
  const mh = M >>> 16; // M >= 0: 0..32767
  // x*M + 2^(ts-1) = A * 2^16 + B
  let A = x * mh;
  let B = x * ml;
  if (ts >= 17) A += POW2[ts - 17];
  else B += POW2[ts - 1];
  if (ts >= 16) return floorSplit(A, B, ts) | 0; // |result| <= 2^46: `| 0` wraps exactly
  // ts < 16: result = A * 2^(16-ts) + floor(B / 2^ts); wrap each term modulo 2^32 before adding
  const aLo = A - Math.floor(A / TWO32) * TWO32; // A mod 2^32, exact
  const hi = (aLo * POW2[16 - ts]) % TWO32; // < 2^47 before the remainder: exact
  return (hi + Math.floor(B / POW2[ts])) | 0;
}

/**
 * Batch `multiplyByQuantizedMultiplier` with per-channel multipliers: element i uses channel
 * `floor(i / inner) mod M.length`. For a row-major [rows, C] tensor with channels on the last axis pass
 * `inner = 1`; for [C, HW] pass `inner = HW`; a single channel (`M.length == 1`) is per-tensor.
 * Validates once, writes `out`, allocates nothing per element.
 */
export function multiplyByQuantizedMultiplierArray(
  x: Int32Array,
  M: Int32Array,
  shift: Int32Array,
  variant: RequantVariant,
  out: Int32Array,
  inner = 1,
): Int32Array {
  if (M.length === 0 || M.length !== shift.length) {
    throw badValue('shift.length', shift.length, `equal to M.length (${M.length}) and >= 1`);
  }
  if (out.length < x.length) throw badValue('out.length', out.length, `at least x.length (${x.length})`);
  if (!Number.isInteger(inner) || inner < 1) throw badValue('inner', inner, 'an integer >= 1');
  if (variant !== 'double' && variant !== 'single') throw badValue('variant', variant, 'double or single');
  for (let c = 0; c < M.length; c++) {
    if (shift[c] < -31 || shift[c] > 30) throw badValue(`shift[${c}]`, shift[c], 'an integer -31..30');
    if (variant === 'single' && M[c] < 0) throw badValue(`M[${c}]`, M[c], 'a multiplier >= 0 for single rounding');
  }
  const C = M.length;
  const single = variant === 'single';
  let c = 0;
  let k = 0;
  for (let i = 0; i < x.length; i++) {
    out[i] = single ? mbqmSingle(x[i], M[c], shift[c]) : mbqmDouble(x[i], M[c], shift[c]);
    if (++k === inner) {
      k = 0;
      if (++c === C) c = 0;
    }
  }
  return out;
}

/**
 * ONNX Runtime's float32 requantization (`MlasRequantizeOutput`, core/mlas/lib/quantize.cpp), the order
 * checked in the source: `f = float(acc)` (int32 -> float32, nearest even), `f = f * scale` (float32
 * multiply), `f = max(f, float(qmin - zp))`, `f = min(f, float(qmax - zp))`, round half to even
 * (the `+ 12582912.0f` magic-number trick), then `+ zp`. Clamping happens before the zero point is
 * added, against bounds shifted by the zero point. `acc` is the int32 accumulator with bias already added.
 */
export function onnxRescale(acc: number, scale: number, zeroPoint: number, qmin: number, qmax: number): number {
  checkI32('acc', acc);
  if (typeof scale !== 'number' || !Number.isFinite(scale)) throw badValue('scale', scale, 'a finite float32');
  checkI32('zeroPoint', zeroPoint);
  checkI32('qmin', qmin);
  checkI32('qmax', qmax);
  if (qmin > qmax) throw badValue('qmin', qmin, `<= qmax (${qmax})`);
  return onnxRescaleUnchecked(acc, Math.fround(scale), zeroPoint, Math.fround(qmin - zeroPoint), Math.fround(qmax - zeroPoint));
}

/** Round half to even of a float whose magnitude is below 2^52. */
export function roundHalfEven(f: number): number {
  const fl = Math.floor(f);
  const d = f - fl;
  if (d > 0.5) return fl + 1;
  if (d < 0.5) return fl;
  return fl % 2 === 0 ? fl : fl + 1;
}

/** onnxRescale kernel: `scale32`, `lo32`, `hi32` already float32 values (`lo32 = float(qmin - zp)`). */
export function onnxRescaleUnchecked(acc: number, scale32: number, zeroPoint: number, lo32: number, hi32: number): number {
  let f = Math.fround(Math.fround(acc) * scale32); // the double product of two float32 is exact
  if (f < lo32) f = lo32;
  if (f > hi32) f = hi32;
  return roundHalfEven(f) + zeroPoint;
}

/** Batch ORT rescale with a per-channel float32 scale (channel = `floor(i / inner) % scale.length`). */
export function onnxRescaleArray<T extends Int32Array | Int8Array | Uint8Array>(
  acc: Int32Array,
  scale: Float32Array,
  zeroPoint: number,
  qmin: number,
  qmax: number,
  out: T,
  inner = 1,
): T {
  checkI32('zeroPoint', zeroPoint);
  checkI32('qmin', qmin);
  checkI32('qmax', qmax);
  if (qmin > qmax) throw badValue('qmin', qmin, `<= qmax (${qmax})`);
  if (scale.length === 0) throw badValue('scale.length', 0, '>= 1');
  if (out.length < acc.length) throw badValue('out.length', out.length, `at least acc.length (${acc.length})`);
  if (!Number.isInteger(inner) || inner < 1) throw badValue('inner', inner, 'an integer >= 1');
  const lo = Math.fround(qmin - zeroPoint);
  const hi = Math.fround(qmax - zeroPoint);
  const C = scale.length;
  let c = 0;
  let k = 0;
  for (let i = 0; i < acc.length; i++) {
    out[i] = onnxRescaleUnchecked(acc[i], scale[c], zeroPoint, lo, hi);
    if (++k === inner) {
      k = 0;
      if (++c === C) c = 0;
    }
  }
  return out;
}
