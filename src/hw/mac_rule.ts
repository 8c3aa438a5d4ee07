/**
 * The arithmetic of the MAC array's processing elements, shared by the PE and array cycle models
 * (`mac_pe.ts`, `mac_array.ts`), the GEMM schedule, the RTL adapters and the area estimate.
 *
 * The accumulate rule (the accumulator is signed, AccBits wide; WRAP/SAT exactly as `src/arith` defines them):
 *   mac(base, h, v) = ovf(base + h * v)
 * where `ovf` is `wrapInt` (keep the low AccBits bits) or `saturateInt` (clamp), applied after EVERY add,
 * so the sum of a column over k = 0..K-1 equals the sequential reference `acc = ovf(acc + W[k]*A[k])`.
 *
 * Operand placement (one rule shared by the RTL, the array model and the cost model):
 *   `h` moves left -> right, `v` moves top -> bottom.
 *   os, ws: h = activation, v = weight;    is: h = weight, v = activation.
 * Operand values: the Design's number formats, int (two's complement or unsigned) or binary ±1
 * (bit 1 = +1, bit 0 = -1, FINN convention), which travels in a 2-bit lane.
 */
import { castIntBig, clog2, intFormat, saturateIntUnchecked, wrapIntUnchecked } from '../arith/index.js';
import type { IntFormat, NumFormat } from '../arith/format.js';
import type { Dataflow, Design } from './design.js';
import { InputError, badValue } from '../util/errors.js';

/** Accumulator values: `number` for AccBits <= 52 (exact in a double), `bigint` above. */
export type AccValue = number | bigint;

/** The accumulate rule `ovf(base + h * v)` of one Design, on numbers or BigInts. */
export interface AccRule<T extends AccValue> {
  readonly bits: number;
  readonly zero: T;
  /** `ovf(base + h * v)`, the one accumulate step of every PE */
  mac(base: T, h: number, v: number): T;
  toBigInt(x: T): bigint;
}

/** Largest accumulator width handled on doubles: |acc| <= 2^51 plus a product < 2^32 stays a safe integer. */
export const NUMBER_ACC_MAX_BITS = 52;

export function numberAccRule(bits: number, overflow: 'WRAP' | 'SAT'): AccRule<number> {
  if (bits > NUMBER_ACC_MAX_BITS) throw badValue('accumulator.bits', bits, `<= ${NUMBER_ACC_MAX_BITS} for the number path`);
  const mac =
    overflow === 'WRAP'
      ? (base: number, h: number, v: number): number => wrapIntUnchecked(base + h * v, bits, true)
      : (base: number, h: number, v: number): number => saturateIntUnchecked(base + h * v, bits, true);
  return { bits, zero: 0, mac, toBigInt: (x) => BigInt(x) };
}

export function bigAccRule(bits: number, overflow: 'WRAP' | 'SAT'): AccRule<bigint> {
  const f = intFormat(bits, true);
  return {
    bits,
    zero: 0n,
    mac: (base, h, v) => castIntBig(base + BigInt(h * v), f, overflow),
    toBigInt: (x) => x,
  };
}

/**
 * The accumulate rule of a Design: on numbers when AccBits <= 52, else on BigInts. The PE (RTL and this
 * model) has one accumulator register: a Design with chunked accumulation is refused here, so the
 * cycle-accurate array and `lowbit verify` never claim to model it (the functional GEMM does).
 */
export function accRule(design: Design): AccRule<number> | AccRule<bigint> {
  const { bits, overflow, chunk } = design.accumulator;
  if (chunk !== undefined) {
    throw new InputError(`design ${design.name}: accumulator.chunk (chunked accumulation) is modelled by the functional GEMM, the integer reference and the cost model; the PE RTL and its cycle-accurate model have one accumulator (drop --cycle-accurate, or remove accumulator.chunk)`);
  }
  return bits <= NUMBER_ACC_MAX_BITS ? numberAccRule(bits, overflow) : bigAccRule(bits, overflow);
}

/** The formats of the horizontal (h) and vertical (v) operands for a dataflow. */
export function operandPlacement(design: Design): { h: NumFormat; v: NumFormat } {
  return placementFor(design.array.dataflow, design);
}

function placementFor(df: Dataflow, d: Design): { h: NumFormat; v: NumFormat } {
  return df === 'is' ? { h: d.weight, v: d.activation } : { h: d.activation, v: d.weight };
}

/**
 * The lane format an operand travels in inside the array: its own int format, except that a binary
 * operand (+1/-1) travels as a 2-bit two's complement lane so that padding lanes can carry 0.
 */
export function laneFormat(f: NumFormat): IntFormat {
  return f.type === 'binary' ? intFormat(2, true) : f;
}

/** A lane value -> its bit pattern on a port. */
export function laneToBits(value: number, lane: IntFormat): bigint {
  return BigInt.asUintN(lane.bits, BigInt(value));
}

/** A port bit pattern -> the lane value (two's complement or unsigned at the lane width). */
export function laneFromBits(bits: bigint, lane: IntFormat): number {
  return Number(lane.signed ? BigInt.asIntN(lane.bits, bits) : BigInt.asUintN(lane.bits, bits));
}

/** Load-beat tag width of an R-row array: max(1, ceil(log2 R)). */
export function tagBits(rows: number): number {
  return Math.max(1, clog2(rows));
}
