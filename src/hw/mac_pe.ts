/**
 * One processing element (PE) of the systolic MAC array — the cycle-exact model of `hdl/mac_pe.sv`.
 *
 * Maths (the accumulator is signed, `AccBits` wide; WRAP/SAT exactly as `src/arith` defines them):
 *   os:      acc <- ovf(acc  + w * a)     the accumulator is stationary; both operands move
 *   ws, is:  acc <- ovf(ps_in + w * a)    the partial sum moves down; one operand is stationary
 * where `ovf` is `wrapInt` (keep the low AccBits bits) or `saturateInt` (clamp), applied after EVERY add,
 * so the sum of a column over k = 0..K-1 equals the sequential reference `acc = ovf(acc + W[k]*A[k])`.
 *
 * Operand placement (one rule shared by the RTL, the array model and the cost model):
 *   `h` moves left -> right, `v` moves top -> bottom.
 *   os, ws: h = activation, v = weight;    is: h = weight, v = activation.
 * Operand values: two's complement or unsigned per the Design; a 1-bit signed operand is bipolar
 * (bit 1 = +1, bit 0 = -1, FINN convention, see `formatRange`).
 *
 * Timing (all outputs registered; one rising edge per `step`):
 *   h_q <= h_i when h_valid_i;  h_valid_q <= h_valid_i        (pass right, one cycle)
 *   v_q <= v_i when v_valid_i                                  (pass down, one cycle)
 *   os:     v_valid_q <= v_valid_i; last_q <= v_valid_i & last_i
 *           if h_valid_i & v_valid_i: acc_q <= ovf(acc_q + h_i * v_i)
 *           else if shift_i:           acc_q <= ps_i           (drain: take the PE above's acc, 0 at the top)
 *   ws, is: a load beat carries `tag` = rows still to travel: when v_valid_i and tag_i == 0 the PE keeps it,
 *           s_q <= v_i (the stationary operand); otherwise it passes on: v_valid_q <= v_valid_i & tag_i != 0,
 *           tag_q <= tag_i - 1 (when passing).
 *           if h_valid_i:              acc_q <= ovf(ps_i + h_i * s_q)
 */
import { castIntBig, clog2, saturateIntUnchecked, wrapIntUnchecked } from '../arith/index.js';
import type { Dataflow, Design, OperandFormat } from './design.js';
import { InputError, badValue } from '../util/errors.js';
import type { CycleModel } from './cycle_model.js';

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
  const f = { bits, signed: true };
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
export function operandPlacement(design: Design): { h: OperandFormat; v: OperandFormat } {
  return placementFor(design.array.dataflow, design);
}

function placementFor(df: Dataflow, d: Design): { h: OperandFormat; v: OperandFormat } {
  return df === 'is' ? { h: d.weight, v: d.activation } : { h: d.activation, v: d.weight };
}

/**
 * The lane format an operand travels in inside the array: its own format, except that a bipolar 1-bit
 * signed operand (+1/-1) travels as a 2-bit two's complement lane so that padding lanes can carry 0.
 */
export function laneFormat(f: OperandFormat): { bits: number; signed: boolean } {
  return f.bits === 1 && f.signed ? { bits: 2, signed: true } : { bits: f.bits, signed: f.signed };
}

/** A lane value -> its bit pattern on a port. */
export function laneToBits(value: number, lane: { bits: number; signed: boolean }): bigint {
  return BigInt.asUintN(lane.bits, BigInt(value));
}

/** A port bit pattern -> the lane value (two's complement or unsigned at the lane width). */
export function laneFromBits(bits: bigint, lane: { bits: number; signed: boolean }): number {
  return Number(lane.signed ? BigInt.asIntN(lane.bits, bits) : BigInt.asUintN(lane.bits, bits));
}

/** Load-beat tag width of an R-row array: max(1, ceil(log2 R)). */
export function tagBits(rows: number): number {
  return Math.max(1, clog2(rows));
}

/** The Verilog parameters of `hdl/mac_pe.sv` / `hdl/mac_array.sv`, mapped from a Design. */
export function macVerilogParams(d: Design): Record<string, number> {
  return {
    WBits: d.weight.bits,
    ABits: d.activation.bits,
    WSigned: d.weight.signed ? 1 : 0,
    ASigned: d.activation.signed ? 1 : 0,
    AccBits: d.accumulator.bits,
    AccSat: d.accumulator.overflow === 'SAT' ? 1 : 0,
    Dataflow: ['os', 'ws', 'is'].indexOf(d.array.dataflow),
  };
}

/** Inputs of one PE for one cycle (names as the ports of `hdl/mac_pe.sv`, without the `_i`). */
export interface MacPeInputs<T extends AccValue> {
  h: number;
  hValid: boolean;
  v: number;
  vValid: boolean;
  last: boolean;
  tag: number;
  shift: boolean;
  ps: T;
}

/**
 * The cycle-stepped single-PE model (the `mac_pe` unit). Fields are the registers of `hdl/mac_pe.sv`
 * (`h_q`, `h_valid_q`, `v_q`, `v_valid_q`, `last_q`, `tag_q`, `s_q`, `acc_q`); outputs are the registers themselves.
 * The array model (`mac_array.ts`) inlines the same rule over typed storage for speed; tests prove the two
 * agree through the shared `AccRule`.
 */
/** The outputs of one PE in a cycle (the ports of `hdl/mac_pe.sv`, without the `_o`): its registers. */
export interface MacPeOutputs<T extends AccValue> {
  hValid: boolean;
  h: number;
  vValid: boolean;
  v: number;
  last: boolean;
  tag: number;
  acc: T;
}

export class MacPe<T extends AccValue> implements CycleModel<MacPeInputs<T>, MacPeOutputs<T>> {
  hQ = 0;
  hValidQ = false;
  vQ = 0;
  vValidQ = false;
  lastQ = false;
  tagQ = 0;
  sQ = 0;
  accQ: T;

  constructor(
    readonly dataflow: Dataflow,
    readonly rule: AccRule<T>,
  ) {
    this.accQ = rule.zero;
  }

  /** the outputs of the current cycle */
  outputs(): MacPeOutputs<T> {
    return { hValid: this.hValidQ, h: this.hQ, vValid: this.vValidQ, v: this.vQ, last: this.lastQ, tag: this.tagQ, acc: this.accQ };
  }

  /** one rising clock edge */
  step(i: MacPeInputs<T>): void {
    if (this.dataflow === 'os') {
      if (i.hValid && i.vValid) this.accQ = this.rule.mac(this.accQ, i.h, i.v);
      else if (i.shift) this.accQ = i.ps;
      this.vValidQ = i.vValid;
      this.lastQ = i.vValid && i.last;
    } else {
      if (i.hValid) this.accQ = this.rule.mac(i.ps, i.h, this.sQ);
      if (i.vValid && i.tag === 0) this.sQ = i.v;
      if (i.vValid && i.tag !== 0) this.tagQ = i.tag - 1;
      this.vValidQ = i.vValid && i.tag !== 0;
    }
    if (i.hValid) this.hQ = i.h;
    this.hValidQ = i.hValid;
    if (i.vValid) this.vQ = i.v;
  }
}
