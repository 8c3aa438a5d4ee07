/**
 * The requantizer: one int accumulator in, one low-bit output out, per cycle (RTL: hdl/requantizer.sv).
 *
 * Maths (docs/arithmetic.md section 2); every number goes through src/arith, the one implementation of each
 * rule:
 *   mode `double`: v = multiplyByQuantizedMultiplier(acc, M, shift, 'double')  (SRDHM, then RDBPOT;
 *                  the left shift wraps in int32; SRDHM(INT32_MIN, INT32_MIN) = INT32_MAX)
 *   mode `single`: v = multiplyByQuantizedMultiplier(acc, M, shift, 'single')  (64-bit product, one
 *                  rounding shift by 31 - shift, ties toward +inf; M >= 0)
 *   mode `shift` : v = roundShift(acc, n, rounding), n = shift >= 0, any of the 8 ap_fixed roundings
 *   then y = v + zeroPoint (exact), ReLU: y = max(y, zeroPoint), and y = saturateInt(y, out format).
 * `double`/`single` take an int32 accumulator (accBits <= 32) and shift in -31..30; `shift` takes
 * accBits <= 53 (JavaScript safe integers) and n in 0..63.
 *
 * Per-channel parameters (M, shift) sit in a table of `channels` entries (per-tensor: channels = 1),
 * reset to (0, 0) and written through a write port; a channel index >= channels reads (0, 0) and writes
 * to it are ignored.
 *
 * Cycle timing (the protocol: docs/verify.md, "Timing and the harness protocol"): an element applied
 * in cycle t is on the outputs in cycle t + REQUANTIZER_LATENCY (3). Stage 1 latches the element with its looked-up parameters, stage 2 holds
 * the scaled value v, stage 3 the saturated output. While `stall` is 1 no pipeline register changes;
 * table writes still happen. The pipeline registers load on every non-stalled edge whether or not the
 * element is valid (like the RTL), so `data` follows whatever the inputs carried.
 */
import {
  checkIntFormat,
  formatRange,
  intFormat,
  multiplyByQuantizedMultiplier,
  roundShift,
  saturateInt,
  ROUNDINGS,
  type Rounding,
  type IntFormat,
  type NumFormat,
} from '../arith/index.js';
import { badValue, checkEnum, checkInt } from '../util/errors.js';
import { toJsonOperand, type Design } from './design.js';

export type RequantizerMode = 'double' | 'single' | 'shift';
export const REQUANTIZER_MODES: readonly RequantizerMode[] = ['double', 'single', 'shift'];

/** Cycles from an element's input edge to its output (stages: product, rounding, saturation). */
export const REQUANTIZER_LATENCY = 3;

/** The requantizer's parameters: exactly the Verilog parameters of hdl/requantizer.sv, by name. */
export interface RequantizerParams {
  /** accumulator input width: 2..32 for double/single, 2..53 for shift */
  accBits: number;
  /** entries of the (multiplier, shift) table, >= 1; 1 = per-tensor */
  channels: number;
  mode: RequantizerMode;
  /** rounding of the shift mode (ignored by double/single, whose roundings are TFLite's) */
  rounding: Rounding;
  /** the int format the output saturates to (Verilog OutBits, OutSigned), 1..32 bits */
  out: IntFormat;
  zeroPoint: number;
  relu: boolean;
}

/**
 * Maps a Design mechanically: requant.* as is, accBits = accumulator.bits, and channels = 1 for
 * per-tensor granularity, else `channels` (default: array.cols, one table entry per array column).
 * The unit has no ±1 output: a binary Design output (made by the XNOR layers' sign thresholds) gives the
 * unit its Design JSON spelling's parameters (toJsonOperand: OutBits 1, OutSigned 1), i.e. the 1-bit
 * signed int {-1, 0}.
 */
export function requantizerParams(design: Design, channels?: number): RequantizerParams {
  const r = design.requant;
  return checkRequantizerParams({
    accBits: design.accumulator.bits,
    channels: r.granularity === 'tensor' ? 1 : channels ?? design.array.cols,
    mode: r.mode,
    rounding: r.rounding,
    out: unitOutFormat(r.out),
    zeroPoint: r.zeroPoint,
    relu: r.relu,
  });
}

/** Validates the parameters (the same rules that stop the RTL's elaboration); returns them. */
export function checkRequantizerParams(p: RequantizerParams): RequantizerParams {
  checkEnum('requant.mode', p.mode, REQUANTIZER_MODES);
  checkEnum('requant.rounding', p.rounding, ROUNDINGS);
  const maxAcc = p.mode === 'shift' ? 53 : 32;
  checkInt(`accumulator.bits (requantizer, mode ${p.mode})`, p.accBits, 2, maxAcc);
  checkInt('requantizer channels', p.channels, 1, 65536);
  const f = checkIntFormat(p.out, 'requant.out');
  checkInt('requant.out.bits', f.bits, 1, 32);
  const { min: lo, max: hi } = formatRange(f);
  checkInt(`requant.zeroPoint (out ${f.signed ? 'i' : 'u'}${f.bits})`, p.zeroPoint, lo, hi);
  return p;
}

/** The int format the unit saturates to for a Design's output format (see requantizerParams). */
function unitOutFormat(f: NumFormat): IntFormat {
  const j = toJsonOperand(f);
  return intFormat(j.bits, j.signed);
}

/** Verilog parameter overrides for hdl/requantizer.sv (Mode: 0 double, 1 single, 2 shift; Rounding: index in ROUNDINGS). */
export function requantizerVerilogParams(p: RequantizerParams): Record<string, number> {
  return {
    AccBits: p.accBits,
    Channels: p.channels,
    Mode: REQUANTIZER_MODES.indexOf(p.mode),
    Rounding: ROUNDINGS.indexOf(p.rounding),
    OutBits: p.out.bits,
    OutSigned: p.out.signed ? 1 : 0,
    ZeroPoint: p.zeroPoint,
    Relu: p.relu ? 1 : 0,
  };
}

/** Throws unless (multiplier, shift) is legal for the mode: double -31..30; single also M >= 0; shift n 0..63. */
export function checkChannelScale(p: RequantizerParams, multiplier: number, shift: number, where = 'channel'): void {
  if (p.mode === 'shift') {
    checkInt(`${where} shift (right shift n, mode shift)`, shift, 0, 63);
    return;
  }
  checkInt(`${where} multiplier`, multiplier, p.mode === 'single' ? 0 : -(2 ** 31), 2 ** 31 - 1);
  checkInt(`${where} shift (mode ${p.mode})`, shift, -31, 30);
}

/**
 * Stage 2: the scaled value v of one accumulator (before the zero point). `acc` must fit accBits
 * signed. This is the golden definition the cycle model, the batch kernel and the RTL are tested against.
 */
export function requantScale(acc: number, multiplier: number, shift: number, p: RequantizerParams): number {
  if (p.mode === 'shift') return roundShift(acc, shift, p.rounding);
  return multiplyByQuantizedMultiplier(acc, multiplier, shift, p.mode);
}

/** Stage 3: `saturateInt(relu ? max(v + zp, zp) : v + zp, out format)`. */
export function requantFinish(v: number, p: RequantizerParams): number {
  let y = v + p.zeroPoint;
  if (p.relu && y < p.zeroPoint) y = p.zeroPoint;
  return saturateInt(y, p.out);
}

/** One element through the whole requantizer (no timing). */
export function requantize(acc: number, multiplier: number, shift: number, p: RequantizerParams): number {
  return requantFinish(requantScale(acc, multiplier, shift, p), p);
}

/**
 * Batch requantization: `out[i] = requantize(acc[i], mult[c], shift[c])` with `c = channel[i]`
 * (or `c = 0` when `channel` is null). Validates the table once; allocates nothing per element.
 */
export function requantizeArray(
  acc: ArrayLike<number>,
  channel: ArrayLike<number> | null,
  mult: ArrayLike<number>,
  shift: ArrayLike<number>,
  p: RequantizerParams,
  out: Int32Array | Float64Array,
): Int32Array | Float64Array {
  if (mult.length !== shift.length || mult.length < 1) {
    throw badValue('mult.length', mult.length, `equal to shift.length (${shift.length}), >= 1`);
  }
  for (let c = 0; c < mult.length; c++) checkChannelScale(p, mult[c], shift[c], `channel ${c}`);
  if (out.length < acc.length) throw badValue('out.length', out.length, `at least acc.length (${acc.length})`);
  if (channel !== null && channel.length < acc.length) {
    throw badValue('channel.length', channel.length, `at least acc.length (${acc.length})`);
  }
  for (let i = 0; i < acc.length; i++) {
    const c = channel === null ? 0 : channel[i];
    if (!(c >= 0 && c < mult.length)) throw badValue(`channel[${i}]`, c, `0..${mult.length - 1}`);
    out[i] = requantize(acc[i], mult[c], shift[c], p);
  }
  return out;
}
