/**
 * Batch fixed-point casts over typed arrays: `out[i] = castFixed(src[i], from, to, rounding, overflow)`
 * for raw values held as JS numbers. Same rule as `castFixed` (fixed.ts, the definition; tested equal on
 * seeded random inputs): quantize with THE rounding shift (`roundShiftUnchecked`), then the overflow
 * mode. Number arithmetic is used while every intermediate is a safe integer (targets up to 53 bits);
 * an element whose left shift would pass 2^53 goes through the BigInt definition. Formats and modes are
 * validated once; nothing is allocated per element on the number path.
 */
import { badValue } from '../util/errors.js';
import { formatRange, intFormat } from './format.js';
import type { Overflow, Rounding } from './modes.js';
import { checkRounding, roundShiftUnchecked } from './shift.js';
import { wrapIntUnchecked } from './int.js';
import { castFixed, checkFixedFormat, checkFixedOverflow, fracBits, type FixedFormat } from './fixed.js';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * Overflow step on a safe-integer quantized value `v` for a target of at most 53 bits with range
 * [min, max]; `vTrunc` is the truncated value (its bit W is WRAP_SM's lowest deleted bit). Mirrors
 * `applyOverflowBig` (fixed.ts, the definition).
 */
export function applyOverflowNum(
  v: number, vTrunc: number, min: number, max: number, bits: number, signed: boolean, overflow: Overflow, srcSigned: boolean,
): number {
  if (v >= min && v <= max) {
    return v === min && signed && srcSigned && overflow === 'SAT_SYM' ? -max : v;
  }
  switch (overflow) {
    case 'WRAP':
      return wrapIntUnchecked(v, bits, signed);
    case 'SAT':
      return v > max ? max : min;
    case 'SAT_ZERO':
      return 0;
    case 'SAT_SYM':
      return v > max ? max : signed ? -max : min;
    case 'WRAP_SM': {
      const k = wrapIntUnchecked(v, bits, true);
      const lD = (Math.floor(vTrunc / 2 ** bits) & 1) === 1; // exact: power-of-two division of a safe int
      return lD !== k < 0 ? -k - 1 : k;
    }
  }
}

/**
 * Batch castFixed on raw values stored as numbers (e.g. an Int32Array of accumulators). `src[i]` must be
 * safe integers in `from`'s range; `to.bits <= 53` so results fit a number. `out` may alias `src`.
 */
export function castFixedArray<T extends Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array | Float64Array>(
  src: ArrayLike<number>,
  from: FixedFormat,
  to: FixedFormat,
  rounding: Rounding,
  overflow: Overflow,
  out: T,
): T {
  checkFixedFormat(from, 'from');
  checkFixedFormat(to, 'to');
  checkRounding(rounding);
  checkFixedOverflow(overflow, to);
  if (to.bits > 53) throw badValue('to.bits', to.bits, 'at most 53 for the number batch path; use castFixed (BigInt)');
  if (out.length < src.length) throw badValue('out.length', out.length, `at least src.length (${src.length})`);
  const d = fracBits(from) - fracBits(to);
  const { min: lo, max: hi } = formatRange(intFormat(from.bits, from.signed));
  const { bits, signed } = to;
  const { min, max } = formatRange(intFormat(bits, signed));
  const srcSigned = from.signed;
  const up = d < 0 ? 2 ** -d : 1;
  const wrapSm = overflow === 'WRAP_SM';
  for (let i = 0; i < src.length; i++) {
    const x = src[i];
    if (!Number.isSafeInteger(x) || x < lo || x > hi) throw badValue(`src[${i}]`, x, `a raw value of the source format, ${lo}..${hi}`);
    let v: number;
    let vt: number;
    if (d > 0) {
      v = roundShiftUnchecked(x, d, rounding);
      vt = wrapSm ? roundShiftUnchecked(x, d, 'TRN') : v; // the truncated value only matters for WRAP_SM
    } else {
      v = vt = x * up;
      if (v > MAX_SAFE || v < -MAX_SAFE) {
        out[i] = Number(castFixed(BigInt(x), from, to, rounding, overflow));
        continue;
      }
    }
    out[i] = applyOverflowNum(v, vt, min, max, bits, signed, overflow, srcSigned);
  }
  return out;
}
