/**
 * The PE's weight datapath (`Design.array.pe`): the multiplier PE (integer weights, `w * a`) or the
 * multiplier-free shift PE (`hdl/mac_pe.sv` with WShift = 1; docs/mac_array.md, "Multiplier-free PE").
 *
 * The shift PE's weight lane is a power-of-two code {nz, neg, e} (`pow2Code` in arith/pow2.ts) with
 * `E = weightExpBits(Design.weight)` exponent bits, and its product is
 *   w * a = nz ? (neg ? -(a << e) : a << e) : 0
 * — a shifter (E levels of 2:1 muxes; none when E = 0) and a conditional negation instead of a multiplier.
 * E is the fewest bits whose exponents 0 .. 2^E - 1 reach the format's largest symmetric power of two:
 *   signed b >= 2 bits: +-2^(b-2)  ->  E = ceil(log2(b - 1))   (w2: E = 0, ternary {-1, 0, 1}: add/subtract)
 *   bipolar (1-bit signed) {-1, +1}: E = 0;   unsigned b bits: 2^(b-1)  ->  E = ceil(log2 b).
 * A weight has a code when it is 0 or +-2^e with e < 2^E (then it is also inside the format, or -2^(b-1)).
 * Everything else of the PE (timing, accumulator, WRAP/SAT) is the multiplier PE's: the cycle models
 * (`MacPe`, `MacArray`) run the shift PE with `peRule`, whose `mac` decodes the code.
 */
import { clog2, formatRange, intFormat, type IntFormat, type NumFormat } from '../arith/format.js';
import { pow2Code, pow2CodeValue } from '../arith/pow2.js';
import { InputError } from '../util/errors.js';
import type { Design, PeKind } from './design.js';
import { accRule, laneFormat, type AccRule, type AccValue } from './mac_rule.js';


/** The Design's PE kind (`multiplier` when `array.pe` is absent). */
export function peKind(d: Design): PeKind {
  return d.array.pe ?? 'multiplier';
}

/** Exponent bits E of the shift PE's weight code for a weight format (see the file header). */
export function weightExpBits(f: NumFormat): number {
  if (f.type === 'binary') return 0;
  return f.signed ? clog2(f.bits - 1) : clog2(f.bits);
}

/** The lane a weight travels in: the code lane (E + 2 bits, unsigned) on the shift PE, else `laneFormat`. */
export function weightLane(d: Design): IntFormat {
  return peKind(d) === 'shift' ? intFormat(weightExpBits(d.weight) + 2, false) : laneFormat(d.weight);
}

/** The lanes of the horizontal (h) and vertical (v) operands of the Design's PE (placement: mac_pe.ts). */
export function peLanes(d: Design): { h: IntFormat; v: IntFormat } {
  const a = laneFormat(d.activation);
  const w = weightLane(d);
  return d.array.dataflow === 'is' ? { h: w, v: a } : { h: a, v: w };
}

/**
 * The accumulate rule of the Design's PE on lane values: the multiplier PE's `accRule`; on the shift PE
 * the weight operand (v in os/ws, h in is) is a code and the step is `ovf(base + a * pow2CodeValue(code))`.
 */
export function peRule(d: Design): AccRule<number> | AccRule<bigint> {
  const rule = accRule(d) as AccRule<AccValue>;
  if (peKind(d) === 'multiplier') return rule as AccRule<number> | AccRule<bigint>;
  const E = weightExpBits(d.weight);
  const mac =
    d.array.dataflow === 'is'
      ? (base: AccValue, code: number, a: number): AccValue => rule.mac(base, pow2CodeValue(code, E), a)
      : (base: AccValue, a: number, code: number): AccValue => rule.mac(base, a, pow2CodeValue(code, E));
  return { ...rule, mac } as AccRule<number> | AccRule<bigint>;
}

/** The extra Verilog parameters of `mac_pe` / `mac_array` for the Design's PE kind. */
export function peVerilogParams(d: Design): { WShift: number; WExpBits: number } {
  return peKind(d) === 'shift' ? { WShift: 1, WExpBits: weightExpBits(d.weight) } : { WShift: 0, WExpBits: 0 };
}

/** Whether every weight has a code for the format's shift PE (0 or +-2^e, e < 2^E). */
export function shiftable(w: ArrayLike<number>, f: NumFormat): boolean {
  const E = weightExpBits(f);
  for (let i = 0; i < w.length; i++) if (pow2Code(w[i], E) === undefined) return false;
  return true;
}

/**
 * The weights as the Design's PE takes them: unchanged on the multiplier PE, codes on the shift PE.
 * `where` names the weights in the error when one has no code.
 */
export function peWeights(d: Design, w: ArrayLike<number>, where: string): Int32Array {
  if (peKind(d) === 'multiplier') return Int32Array.from(w);
  const E = weightExpBits(d.weight);
  const out = new Int32Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const c = pow2Code(w[i], E);
    if (c === undefined) {
      throw new InputError(`${where}: weight ${w[i]} (index ${i}) is not 0 or +-2^e with e < ${2 ** E}; the shift PE (array.pe "shift") takes only those weights: quantize them to powers of two (lowbit train --inq, ternary, binary) or use array.pe "multiplier"`);
    }
    out[i] = c;
  }
  return out;
}

/** The weight values of a format that have a shift-PE code, ascending (bipolar: -1, +1; else 0 included). */
export function shiftLevels(f: NumFormat): number[] {
  const E = weightExpBits(f);
  const { min: lo, max: hi } = formatRange(f);
  const out: number[] = [];
  for (let e = 2 ** E - 1; e >= 0; e--) if (-(2 ** e) >= lo) out.push(-(2 ** e));
  if (f.type !== 'binary') out.push(0);
  for (let e = 0; e < 2 ** E; e++) if (2 ** e <= hi) out.push(2 ** e);
  return out;
}
