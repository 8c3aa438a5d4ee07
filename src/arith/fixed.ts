/**
 * Fixed point with Xilinx `ap_fixed<W, I, Q, O>` semantics (docs/arithmetic.md section 1).
 *
 * A format is `{bits W, intBits I, signed}`; `F = W - I` fraction bits (may be negative or exceed W).
 * A raw two's-complement integer `r` (a BigInt here) means the value `r * 2^-F`.
 *
 * Full-precision results (ap_fixed `RType`, no rounding, no overflow):
 * - multiply: `W = W1 + W2`, `I = I1 + I2`, signed if either is signed; raw = `r1 * r2`.
 * - add/sub: `I = max(I1 + (S2 && !S1), I2 + (S1 && !S2)) + 1`, `F = max(F1, F2)`; add is signed if either
 *   is, sub is always signed; raw = aligned `r1 ± r2`.
 *
 * A cast quantizes first (drop `d = F_from - F_to` fraction bits with `roundShift`, THE rounding rule of
 * lowbit, or shift left when d < 0) and then applies the overflow mode to the quantized integer `v`
 * against the target range [min, max]:
 * - WRAP: low W bits. SAT: clamp. SAT_ZERO: 0 when out of range.
 * - SAT_SYM: signed target: clamp to [-max, max], and `v == min` from a signed source also becomes -max;
 *   unsigned target: like SAT.
 * - WRAP_SM (signed targets only; ap_ufixed rejects it): when out of range, keep the low W bits and, if
 *   the kept MSB differs from the lowest deleted bit `lD` (bit W of the truncated value), invert them.
 */
import { badValue } from '../util/errors.js';
import type { CastRounding, Overflow, Rounding } from './modes.js';
import { OVERFLOWS } from './modes.js';
import { checkRounding, roundShiftBig } from './shift.js';
import type { Rng } from '../util/rng.js';

/** A fixed-point format: W = `bits` (1..1024), I = `intBits` (any integer), two's complement if signed. */
export interface FixedFormat {
  bits: number;
  intBits: number;
  signed: boolean;
}

/** Largest W accepted (ap_fixed's default AP_INT_MAX_W). */
export const MAX_FIXED_BITS = 1024;

/** Validates a FixedFormat; errors name `name.field`. */
export function checkFixedFormat(f: FixedFormat, name = 'format'): FixedFormat {
  if (f === null || typeof f !== 'object') throw badValue(name, f, '{bits, intBits, signed}');
  if (!Number.isInteger(f.bits) || f.bits < 1 || f.bits > MAX_FIXED_BITS) {
    throw badValue(`${name}.bits`, f.bits, `an integer 1..${MAX_FIXED_BITS}`);
  }
  if (!Number.isInteger(f.intBits) || Math.abs(f.intBits) > 4 * MAX_FIXED_BITS) {
    throw badValue(`${name}.intBits`, f.intBits, `an integer -${4 * MAX_FIXED_BITS}..${4 * MAX_FIXED_BITS}`);
  }
  if (typeof f.signed !== 'boolean') throw badValue(`${name}.signed`, f.signed, 'true or false');
  return f;
}

/** Validates an overflow mode for a target format (WRAP_SM needs a signed target). */
export function checkFixedOverflow(o: Overflow, to: FixedFormat): void {
  if (!(OVERFLOWS as readonly string[]).includes(o)) throw badValue('overflow', o, `one of ${OVERFLOWS.join(', ')}`);
  if (o === 'WRAP_SM' && !to.signed) {
    throw badValue('overflow', o, 'WRAP, SAT, SAT_ZERO or SAT_SYM for an unsigned target (ap_ufixed cannot use WRAP_SM)');
  }
}

/** Fraction bits `F = W - I`. */
export function fracBits(f: FixedFormat): number {
  return f.bits - f.intBits;
}

/** Full-precision product format: `<W1+W2, I1+I2>`, signed if either is. */
export function mulFormat(a: FixedFormat, b: FixedFormat): FixedFormat {
  checkFixedFormat(a, 'a');
  checkFixedFormat(b, 'b');
  return { bits: a.bits + b.bits, intBits: a.intBits + b.intBits, signed: a.signed || b.signed };
}

function sumInt(a: FixedFormat, b: FixedFormat): number {
  const sb = b.signed && !a.signed ? 1 : 0;
  const sa = a.signed && !b.signed ? 1 : 0;
  return Math.max(a.intBits + sb, b.intBits + sa) + 1;
}

/** Full-precision sum format: `I = max(I1 + (S2&&!S1), I2 + (S1&&!S2)) + 1`, `F = max(F1, F2)`. */
export function addFormat(a: FixedFormat, b: FixedFormat): FixedFormat {
  checkFixedFormat(a, 'a');
  checkFixedFormat(b, 'b');
  const I = sumInt(a, b);
  return { bits: I + Math.max(fracBits(a), fracBits(b)), intBits: I, signed: a.signed || b.signed };
}

/** Full-precision difference format: like `addFormat` but always signed. */
export function subFormat(a: FixedFormat, b: FixedFormat): FixedFormat {
  const f = addFormat(a, b);
  return { ...f, signed: true };
}

/** Smallest and largest raw value of a format. */
export function fixedRange(f: FixedFormat): { min: bigint; max: bigint } {
  const W = BigInt(f.bits);
  return f.signed ? { min: -(1n << (W - 1n)), max: (1n << (W - 1n)) - 1n } : { min: 0n, max: (1n << W) - 1n };
}

function checkRaw(name: string, raw: bigint, f: FixedFormat): void {
  if (typeof raw !== 'bigint') throw badValue(name, raw, 'a bigint raw value');
  const { min, max } = fixedRange(f);
  if (raw < min || raw > max) throw badValue(name, raw, `a raw value of the format, ${min}..${max}`);
}

/** Full-precision product of raw values (in `mulFormat(fa, fb)`). */
export function mulFixed(a: bigint, fa: FixedFormat, b: bigint, fb: FixedFormat): bigint {
  checkFixedFormat(fa, 'fa');
  checkFixedFormat(fb, 'fb');
  checkRaw('a', a, fa);
  checkRaw('b', b, fb);
  return a * b;
}

function aligned(a: bigint, fa: FixedFormat, b: bigint, fb: FixedFormat): [bigint, bigint] {
  checkFixedFormat(fa, 'fa');
  checkFixedFormat(fb, 'fb');
  checkRaw('a', a, fa);
  checkRaw('b', b, fb);
  const F = Math.max(fracBits(fa), fracBits(fb));
  return [a << BigInt(F - fracBits(fa)), b << BigInt(F - fracBits(fb))];
}

/** Full-precision sum of raw values (in `addFormat(fa, fb)`). */
export function addFixed(a: bigint, fa: FixedFormat, b: bigint, fb: FixedFormat): bigint {
  const [x, y] = aligned(a, fa, b, fb);
  return x + y;
}

/** Full-precision difference of raw values (in `subFormat(fa, fb)`). */
export function subFixed(a: bigint, fa: FixedFormat, b: bigint, fb: FixedFormat): bigint {
  const [x, y] = aligned(a, fa, b, fb);
  return x - y;
}

/**
 * The overflow step on the quantized value `v` (BigInt). `vTrunc` is the truncated (floored) value whose
 * bit W is WRAP_SM's lowest deleted bit; `srcSigned` drives SAT_SYM's MIN rule.
 */
export function applyOverflowBig(v: bigint, vTrunc: bigint, to: FixedFormat, overflow: Overflow, srcSigned: boolean): bigint {
  const { min, max } = fixedRange(to);
  if (v >= min && v <= max) {
    return overflow === 'SAT_SYM' && to.signed && srcSigned && v === min ? -max : v;
  }
  switch (overflow) {
    case 'WRAP':
      return to.signed ? BigInt.asIntN(to.bits, v) : BigInt.asUintN(to.bits, v);
    case 'SAT':
      return v > max ? max : min;
    case 'SAT_ZERO':
      return 0n;
    case 'SAT_SYM':
      return v > max ? max : to.signed ? -max : min;
    case 'WRAP_SM': {
      const k = BigInt.asIntN(to.bits, v);
      const lD = ((vTrunc >> BigInt(to.bits)) & 1n) === 1n;
      return lD !== k < 0n ? -k - 1n : k; // -k-1 = ~k within W bits
    }
  }
}

/**
 * ap_fixed cast of a raw value from one format to another with named rounding and overflow modes.
 * Exact for any widths (BigInt). `raw` must be a raw value of `from`. STOCHASTIC draws from `rng`.
 */
export function castFixed(raw: bigint, from: FixedFormat, to: FixedFormat, rounding: CastRounding, overflow: Overflow, rng?: Rng): bigint {
  if (rounding === 'STOCHASTIC') return castFixedStochastic(raw, from, to, overflow, needRng(rng));
  checkFixedFormat(from, 'from');
  checkFixedFormat(to, 'to');
  checkRounding(rounding);
  checkFixedOverflow(overflow, to);
  checkRaw('raw', raw, from);
  return castFixedRaw(raw, fracBits(from) - fracBits(to), from.signed, to, rounding, overflow);
}

function needRng(rng: Rng | undefined): Rng {
  if (rng === undefined || typeof rng.bigBits !== 'function') throw badValue('rng', rng, 'a seeded Rng for STOCHASTIC rounding');
  return rng;
}

/** castFixed after validation: `d` = dropped fraction bits (negative: shift left). */
function castFixedRaw(raw: bigint, d: number, srcSigned: boolean, to: FixedFormat, rounding: Rounding, overflow: Overflow): bigint {
  let v: bigint;
  let vTrunc: bigint;
  if (d > 0) {
    v = roundShiftBig(raw, d, rounding);
    vTrunc = raw >> BigInt(d);
  } else {
    v = vTrunc = raw << BigInt(-d);
  }
  return applyOverflowBig(v, vTrunc, to, overflow, srcSigned);
}

/**
 * Seeded stochastic rounding (Gupta et al. 2015), exact in integers: add a uniform random integer of the
 * dropped width (`0 <= u < 2^d`), then floor — so the value rounds up with probability
 * `(x - floor(x)) / lsb`. Then the overflow mode. Draws `d` random bits from `rng` per call.
 */
export function castFixedStochastic(raw: bigint, from: FixedFormat, to: FixedFormat, overflow: Overflow, rng: Rng): bigint {
  checkFixedFormat(from, 'from');
  checkFixedFormat(to, 'to');
  checkFixedOverflow(overflow, to);
  checkRaw('raw', raw, from);
  const d = fracBits(from) - fracBits(to);
  if (d <= 0) return castFixedRaw(raw, d, from.signed, to, 'TRN', overflow);
  const v = (raw + rng.bigBits(d)) >> BigInt(d);
  return applyOverflowBig(v, raw >> BigInt(d), to, overflow, from.signed);
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** Exact decomposition of a finite double: `x = mant * 2^exp`, mant a signed integer with |mant| < 2^53. */
export function decomposeDouble(x: number): { mant: bigint; exp: number } {
  f64[0] = x;
  const lo = u32[0];
  const hi = u32[1];
  const e = (hi >>> 20) & 0x7ff;
  let m = BigInt(hi & 0xfffff) * 4294967296n + BigInt(lo);
  if (e !== 0) m += 1n << 52n;
  const exp = (e === 0 ? 1 : e) - 1075;
  return { mant: hi >>> 31 ? -m : m, exp };
}

/**
 * The fixed-point raw value of a float64 (exact: the double is read as `mant * 2^exp` and cast as a
 * signed source with `castFixed`, like ap_fixed's double constructor). NaN and infinities are rejected.
 */
export function fixedFromFloat(x: number, to: FixedFormat, rounding: CastRounding, overflow: Overflow, rng?: Rng): bigint {
  if (rounding === 'STOCHASTIC') return fixedFromFloatStochastic(x, to, overflow, needRng(rng));
  if (typeof x !== 'number' || !Number.isFinite(x)) throw badValue('x', x, 'a finite number');
  checkFixedFormat(to, 'to');
  checkRounding(rounding);
  checkFixedOverflow(overflow, to);
  const { mant, exp } = decomposeDouble(x);
  return castFixedRaw(mant, -exp - fracBits(to), true, to, rounding, overflow); // source F = -exp
}

/** fixedFromFloat with seeded stochastic rounding (see `castFixedStochastic`). */
export function fixedFromFloatStochastic(x: number, to: FixedFormat, overflow: Overflow, rng: Rng): bigint {
  if (typeof x !== 'number' || !Number.isFinite(x)) throw badValue('x', x, 'a finite number');
  checkFixedFormat(to, 'to');
  checkFixedOverflow(overflow, to);
  const { mant, exp } = decomposeDouble(x);
  const d = -exp - fracBits(to);
  if (d <= 0) return castFixedRaw(mant, d, true, to, 'TRN', overflow);
  const v = (mant + rng.bigBits(d)) >> BigInt(d);
  return applyOverflowBig(v, mant >> BigInt(d), to, overflow, true);
}

/** The real value of a raw fixed-point number: `raw * 2^-F` (one rounding, in `Number(raw)`). */
export function fixedToFloat(raw: bigint, fmt: FixedFormat): number {
  checkFixedFormat(fmt, 'fmt');
  if (typeof raw !== 'bigint') throw badValue('raw', raw, 'a bigint raw value');
  return scale2(Number(raw), -fracBits(fmt));
}

/** `x * 2^e`, exact unless the result leaves the double range (scaled in steps so 2^e never overflows). */
export function scale2(x: number, e: number): number {
  while (e > 1000) { x *= 2 ** 1000; e -= 1000; }
  while (e < -1000) { x *= 2 ** -1000; e += 1000; }
  return x * 2 ** e;
}
