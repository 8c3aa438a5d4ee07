/**
 * Bit-serial multi-bit dot products on the XNOR-popcount unit's AND path (hdl/xnor_popcount.sv, and_i=1).
 *
 * Maths: write x (B_x bits) and y (B_y bits) in two's complement as bit planes x_m, y_k (plane m holds
 * bit m of every element). Plane m weighs 2^m, except the MSB plane of a signed operand, which weighs
 * -2^(B-1). Then
 *   x . y = sum_{m < B_x} sum_{k < B_y} s_m s_k 2^(m+k) popcount(AND(x_m, y_k)),   s = -1 on a sign plane,
 * so one unit computes a B_x x B_y-bit dot product in B_x * B_y plane pairs, each ceil(n / lanes) words:
 * it trades cycles for precision (a ±1 XNOR dot product of the same n takes ceil(n / lanes) cycles).
 * Planes are packed with arith's packBits (bit 1 for the element's bit set), so the layout is lowbit's:
 * element i at word i >>> 5, bit i & 31; plane m of an n-element vector at words [m * W, (m + 1) * W),
 * W = ceil(n / 32).
 *
 * The schedule (`bitSerialWords`): pair-major (m outer, k inner), word-minor; `first` on the very first
 * word, `last` on the very last, `shift = m + k`, `neg = sign(m) xor sign(k)`. The result appears
 * XNOR_POPCOUNT_LATENCY cycles after the last word.
 */
import { formatRange, intFormat, packBits, packedWords, popcount32, type IntFormat } from '../arith/index.js';
import { badValue, checkInt } from '../util/errors.js';
import { laneWords, sliceBits } from './xnor_popcount.js';

/** Packs the B bit planes of `values` (each a B-bit signed/unsigned integer) into `out` (B * W words). */
export function packBitPlanes(values: ArrayLike<number>, f: IntFormat, out?: Uint32Array): Uint32Array {
  checkInt('bit-serial operand bits', f.bits, 1, 16);
  const n = values.length;
  const words = packedWords(n);
  const o = out ?? new Uint32Array(f.bits * words);
  if (o.length < f.bits * words) throw badValue('out.length', o.length, `at least ${f.bits} x ${words} words`);
  const { min: lo, max: hi } = formatRange(intFormat(f.bits, f.signed));
  for (let i = 0; i < n; i++) checkInt(`values[${i}] (${f.signed ? 'i' : 'u'}${f.bits})`, values[i], lo, hi);
  const plane = new Int8Array(n); // +1 where the bit is set (packs to 1), -1 where clear
  for (let m = 0; m < f.bits; m++) {
    for (let i = 0; i < n; i++) plane[i] = ((values[i] >> m) & 1) === 1 ? 1 : -1;
    packBits(plane, o.subarray(m * words, (m + 1) * words));
  }
  return o;
}

/** The sign of plane pair (m, k): true when exactly one of them is the MSB plane of a signed operand. */
export function planeNeg(m: number, k: number, fx: IntFormat, fy: IntFormat): boolean {
  const sx = fx.signed && m === fx.bits - 1;
  const sy = fy.signed && k === fy.bits - 1;
  return sx !== sy;
}

/**
 * The bit-serial dot product straight from the planes (no lanes, no wrap): the golden definition of the
 * formula above. `xp`, `yp` as from packBitPlanes for n elements.
 */
export function bitSerialDot(xp: Uint32Array, fx: IntFormat, yp: Uint32Array, fy: IntFormat, n: number): number {
  const words = packedWords(n);
  const tail = n & 31;
  let sum = 0;
  for (let m = 0; m < fx.bits; m++) {
    for (let k = 0; k < fy.bits; k++) {
      let pop = 0;
      for (let j = 0; j < words; j++) {
        const mask = j === words - 1 && tail !== 0 ? (1 << tail) - 1 : 0xffffffff;
        pop += popcount32(xp[m * words + j] & yp[k * words + j] & mask);
      }
      const t = pop * 2 ** (m + k);
      sum += planeNeg(m, k, fx, fy) ? -t : t;
    }
  }
  return sum;
}

/** One word command of the schedule (the unit's inputs besides the handshake). */
export interface BitSerialWord {
  a: Uint32Array;
  w: Uint32Array;
  nbits: number;
  shift: number;
  neg: boolean;
  first: boolean;
  last: boolean;
}

/** Cycles (words) of one bit-serial dot product: B_x * B_y * ceil(n / lanes). */
export function bitSerialCycles(n: number, lanes: number, fx: IntFormat, fy: IntFormat): number {
  return fx.bits * fy.bits * Math.ceil(n / lanes);
}

/**
 * The word sequence that makes the unit compute x . y (x = `xp`, y = `yp`, n elements), in the order
 * described in the header; each word's `a`/`w` is a fresh `ceil(lanes/32)`-word slice.
 */
export function bitSerialWords(
  xp: Uint32Array,
  fx: IntFormat,
  yp: Uint32Array,
  fy: IntFormat,
  n: number,
  lanes: number,
): BitSerialWord[] {
  checkInt('n', n, 1, 2 ** 24);
  const words = packedWords(n);
  const out: BitSerialWord[] = [];
  const total = bitSerialCycles(n, lanes, fx, fy);
  for (let m = 0; m < fx.bits; m++) {
    for (let k = 0; k < fy.bits; k++) {
      const xm = xp.subarray(m * words, (m + 1) * words);
      const yk = yp.subarray(k * words, (k + 1) * words);
      for (let s = 0; s < n; s += lanes) {
        const a = sliceBits(xm, s, lanes, new Uint32Array(laneWords(lanes)));
        const w = sliceBits(yk, s, lanes, new Uint32Array(laneWords(lanes)));
        out.push({
          a,
          w,
          nbits: Math.min(lanes, n - s),
          shift: m + k,
          neg: planeNeg(m, k, fx, fy),
          first: out.length === 0,
          last: out.length === total - 1,
        });
      }
    }
  }
  return out;
}
