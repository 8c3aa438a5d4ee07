/**
 * The XNOR-popcount unit: binary (±1) and bit-serial dot products, `lanes` bits per cycle, with
 * FINN multi-threshold activation (RTL: hdl/xnor_popcount.sv; cycle model: xnor_popcount_model.ts).
 *
 * Maths (docs/arithmetic.md section 5), bits packed as arith's packBits (bit 1 = +1, element i at word
 * i >>> 5, bit i & 31). A dot product arrives as words of `lanes` bits; in each word only the first
 * nb = min(nbits, lanes) bits are valid, the rest is padding and masked off.
 *   XNOR word: pop = popcount(~(a ^ w) & mask), contribution c = 2*pop - nb, so over all words
 *              sum(c) = 2*popcount(XNOR(a, w)) - n = arith's xnorDot(a, w, n).
 *   AND word (one bit-plane pair (m, k), see bit_serial.ts): pop = popcount(a & w & mask),
 *              c = (neg ? -1 : 1) * pop * 2^shift.
 *   acc = wrapInt((first ? 0 : acc) + c, accBits signed); on the last word dot = acc and
 *   act = multiThreshold(dot, thresholds of the channel) = sum_i [dot >= t_i] (1 threshold: the bipolar
 *   sign bit, 1 = +1; T thresholds: an unsigned clog2(T+1)-bit activation).
 * Timing: one word per cycle; a dot product whose last word enters in cycle t is on the outputs in cycle
 * t + XNOR_POPCOUNT_LATENCY (3); a dot of n bits takes ceil(n / lanes) cycles.
 */
import { clog2, intFormat, popcount32, wrapInt, checkIntFormat, xnorDot } from '../arith/index.js';
import { badValue, checkInt } from '../util/errors.js';
import type { Design } from './design.js';

/** Cycles from the last word's input edge to the result (stages: popcount, accumulate, threshold). */
export const XNOR_POPCOUNT_LATENCY = 3;

/** The unit's parameters: exactly the Verilog parameters of hdl/xnor_popcount.sv, by name. */
export interface XnorPopcountParams {
  /** bits per cycle (XNOR/AND lanes), 1..1024 */
  lanes: number;
  /** accumulator / dot / threshold width, 2..32 (two's complement, wraps) */
  accBits: number;
  /** thresholds per channel, 1..255 */
  thresholds: number;
  /** threshold table entries, >= 1 */
  channels: number;
}

/**
 * Maps a Design mechanically: lanes = xnor.bitsPerCycle, accBits = accumulator.bits,
 * thresholds = xnor.thresholds, channels (default array.cols).
 */
export function xnorPopcountParams(design: Design, channels?: number): XnorPopcountParams {
  return checkXnorPopcountParams({
    lanes: design.xnor.bitsPerCycle,
    accBits: design.accumulator.bits,
    thresholds: design.xnor.thresholds,
    channels: channels ?? design.array.cols,
  });
}

/** Validates the parameters (the same rules that stop the RTL's elaboration); returns them. */
export function checkXnorPopcountParams(p: XnorPopcountParams): XnorPopcountParams {
  checkInt('xnor.bitsPerCycle (lanes)', p.lanes, 1, 1024);
  checkInt('accumulator.bits (xnor_popcount)', p.accBits, 2, 32);
  checkInt('xnor.thresholds', p.thresholds, 1, 255);
  checkInt('xnor_popcount channels', p.channels, 1, 65536);
  checkIntFormat(intFormat(p.accBits, true));
  return p;
}

/** Verilog parameter overrides for hdl/xnor_popcount.sv. */
export function xnorPopcountVerilogParams(p: XnorPopcountParams): Record<string, number> {
  return { Lanes: p.lanes, AccBits: p.accBits, Thresholds: p.thresholds, Channels: p.channels };
}

/** ceil(log2(x + 1)): the bits of a count 0..x (the RTL's `$clog2(x + 1)`). */
export function countBits(x: number): number {
  return Math.max(1, clog2(x + 1));
}

/** 32-bit words holding one lane word. */
export function laneWords(lanes: number): number {
  return (lanes + 31) >>> 5;
}

/**
 * popcount((and ? a & w : ~(a ^ w)) & mask(nb)) over one lane word held in `ceil(lanes/32)` 32-bit
 * words, nb = min(nbits, lanes) valid bits.
 */
export function wordPopcount(a: Uint32Array, w: Uint32Array, nbits: number, and: boolean, lanes: number): number {
  const nb = Math.min(nbits, lanes);
  let pop = 0;
  for (let j = 0; (j << 5) < nb; j++) {
    const valid = nb - (j << 5);
    const mask = valid >= 32 ? 0xffffffff : (1 << valid) - 1;
    pop += popcount32((and ? a[j] & w[j] : ~(a[j] ^ w[j])) & mask);
  }
  return pop;
}

/** A word's contribution to the sum: XNOR `2*pop - nb`; AND `±pop * 2^shift`. */
export function wordContribution(pop: number, nbits: number, lanes: number, and: boolean, neg: boolean, shift: number): number {
  if (!and) return 2 * pop - Math.min(nbits, lanes);
  const t = pop * 2 ** shift;
  return neg ? -t : t;
}

/** FINN MultiThreshold count: `sum_{i < count} [x >= thr[off + i]]` (thresholds need not be sorted). */
export function multiThreshold(x: number, thr: ArrayLike<number>, off: number, count: number): number {
  let n = 0;
  for (let i = 0; i < count; i++) if (x >= thr[off + i]) n++;
  return n;
}

/**
 * Copies bits [start, start + len) of a packed bit vector into `out` (LSB first, len <= 32 * out.length),
 * clearing the rest of `out`. Bits past the end of `src` read as 0.
 */
export function sliceBits(src: Uint32Array, start: number, len: number, out: Uint32Array): Uint32Array {
  out.fill(0);
  for (let i = 0; i < len; i++) {
    const b = start + i;
    const wi = b >>> 5;
    if (wi < src.length && ((src[wi] >>> (b & 31)) & 1) === 1) out[i >>> 5] |= 1 << (i & 31);
  }
  for (let j = 0; j < out.length; j++) out[j] >>>= 0;
  return out;
}

/**
 * The unit's arithmetic over a whole ±1 vector, word by word as the hardware sees it (no timing):
 * sum over ceil(n / lanes) words of `2*pop - nb`, wrapped to accBits. Equals `wrapInt(xnorDot(a, w, n))`.
 */
export function xnorDotLanes(a: Uint32Array, w: Uint32Array, n: number, p: XnorPopcountParams): number {
  if (!Number.isInteger(n) || n < 1 || n > 32 * Math.min(a.length, w.length)) {
    throw badValue('n', n, `an integer 1..${32 * Math.min(a.length, w.length)}`);
  }
  const fmt = intFormat(p.accBits, true);
  const wa = new Uint32Array(laneWords(p.lanes));
  const ww = new Uint32Array(laneWords(p.lanes));
  let acc = 0;
  for (let s = 0; s < n; s += p.lanes) {
    const nb = Math.min(p.lanes, n - s);
    sliceBits(a, s, p.lanes, wa);
    sliceBits(w, s, p.lanes, ww);
    acc = wrapInt(acc + wordContribution(wordPopcount(wa, ww, nb, false, p.lanes), nb, p.lanes, false, false, 0), fmt);
  }
  return acc;
}

/** The plain definition the unit must equal on a ±1 vector (arith's xnorDot, wrapped to accBits). */
export function xnorDotReference(a: Uint32Array, w: Uint32Array, n: number, accBits: number): number {
  return wrapInt(xnorDot(a, w, n), intFormat(accBits, true));
}

/** Words (one per cycle) of one dot product of n bits: ceil(n / lanes); its result follows the last word by XNOR_POPCOUNT_LATENCY. */
export function xnorCycles(n: number, lanes: number): number {
  return Math.ceil(n / lanes);
}
