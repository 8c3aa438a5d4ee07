/**
 * Binary (XNOR-popcount) arithmetic (docs/arithmetic.md section 5).
 *
 * lowbit's bit convention (FINN's): **bit 1 = +1, bit 0 = -1**; a real value `v >= 0` (including -0)
 * packs to +1, `v < 0` to -1. Element i lives in 32-bit word `i >>> 5`, bit `i & 31` (least significant
 * bit first). Padding bits past n in the last word are written as 0 and never counted.
 *
 * Dot product of two ±1 vectors of length n: `dot = 2 * popcount(XNOR(a, w)) - n = n - 2 * popcount(a XOR w)`
 * over the n valid bits only.
 *
 * Larq Compute Engine uses the opposite meaning (bit 1 = -1, the float sign bit; 0.0 -> +1) with the
 * same LSB-first 32-bit word layout: `fromLarqBits` / `toLarqBits` convert at the import/export boundary
 * (invert the n valid bits, keep padding 0).
 */
import { badValue } from '../util/errors.js';

/** Number of 32-bit words holding n bits. */
export function packedWords(n: number): number {
  return (n + 31) >>> 5;
}

function checkN(n: number, words: number, name: string): void {
  if (!Number.isInteger(n) || n < 0 || n > words * 32) {
    throw badValue('n', n, `an integer 0..${words * 32} (32 x ${name}.length)`);
  }
}

/**
 * Packs real values to bits (bit 1 = +1 for `v >= 0`, bit 0 for `v < 0`), LSB first in 32-bit words.
 * `out` (optional) must hold `ceil(n / 32)` words; its words are overwritten, padding bits are 0.
 * NaN is rejected.
 */
export function packBits(values: ArrayLike<number>, out?: Uint32Array): Uint32Array {
  const n = values.length;
  const words = packedWords(n);
  const o = out ?? new Uint32Array(words);
  if (o.length < words) throw badValue('out.length', o.length, `at least ceil(${n} / 32) = ${words}`);
  for (let w = 0; w < words; w++) {
    const base = w << 5;
    const end = Math.min(32, n - base);
    let word = 0;
    for (let b = 0; b < end; b++) {
      const v = values[base + b];
      if (v >= 0) word |= 1 << b;
      else if (!(v < 0)) throw badValue(`values[${base + b}]`, v, 'a number (not NaN)');
    }
    o[w] = word >>> 0;
  }
  return o;
}

/**
 * Unpacks n bits to ±1 values (bit 1 -> +1, bit 0 -> -1) into `out` (length >= n).
 */
export function unpackBits<T extends Int8Array | Int32Array | Float32Array | Float64Array>(
  words: Uint32Array,
  n: number,
  out: T,
): T {
  checkN(n, words.length, 'words');
  if (out.length < n) throw badValue('out.length', out.length, `at least n (${n})`);
  for (let i = 0; i < n; i++) out[i] = ((words[i >>> 5] >>> (i & 31)) & 1) === 1 ? 1 : -1;
  return out;
}

/** Number of set bits in the low 32 bits of `x` (SWAR). */
export function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Mask of the valid bits of the last word for n bits (all ones when n is a multiple of 32). */
function lastMask(n: number): number {
  const r = n & 31;
  return r === 0 ? 0xffffffff : (1 << r) - 1;
}

/**
 * `dot(a, w) = n - 2 * popcount(a XOR w)` over the first n bits (= 2 * popcount(XNOR) - n).
 * Bits past n in the last word are masked off. Both arrays must hold at least ceil(n / 32) words.
 */
export function xnorDot(a: Uint32Array, w: Uint32Array, n: number): number {
  checkN(n, Math.min(a.length, w.length), a.length <= w.length ? 'a' : 'w');
  return xnorDotAt(a, 0, w, 0, n);
}

/**
 * xnorDot of `a[aOff ..]` and `w[wOff ..]` (word offsets), n bits, no argument checks — the kernel for
 * matrix rows stored back to back (row r of a K-bit matrix starts at word `r * ceil(K / 32)`).
 */
export function xnorDotAt(a: Uint32Array, aOff: number, w: Uint32Array, wOff: number, n: number): number {
  const full = n >>> 5;
  let diff = 0;
  for (let i = 0; i < full; i++) diff += popcount32(a[aOff + i] ^ w[wOff + i]);
  if ((n & 31) !== 0) diff += popcount32((a[aOff + full] ^ w[wOff + full]) & lastMask(n));
  return n - 2 * diff;
}

/**
 * Binary matrix-vector product: `out[r] = xnorDot(W row r, x)` for a [rows, K] bit matrix packed row
 * by row (each row `ceil(K / 32)` words, padding 0) and a K-bit vector.
 */
export function xnorMatVec(W: Uint32Array, rows: number, K: number, x: Uint32Array, out: Int32Array): Int32Array {
  const wpr = packedWords(K);
  if (!Number.isInteger(rows) || rows < 0) throw badValue('rows', rows, 'an integer >= 0');
  if (!Number.isInteger(K) || K < 0) throw badValue('K', K, 'an integer >= 0');
  if (W.length < rows * wpr) throw badValue('W.length', W.length, `at least rows * ceil(K/32) = ${rows * wpr}`);
  if (x.length < wpr) throw badValue('x.length', x.length, `at least ceil(K/32) = ${wpr}`);
  if (out.length < rows) throw badValue('out.length', out.length, `at least rows (${rows})`);
  for (let r = 0; r < rows; r++) out[r] = xnorDotAt(W, r * wpr, x, 0, K);
  return out;
}

/**
 * Larq (bit 1 = -1) -> lowbit (bit 1 = +1): inverts the n valid bits, clears padding. `out` may be `words`.
 */
export function fromLarqBits(words: Uint32Array, n: number, out?: Uint32Array): Uint32Array {
  return invertValid(words, n, out, 'words');
}

/** lowbit (bit 1 = +1) -> Larq (bit 1 = -1): inverts the n valid bits, clears padding. */
export function toLarqBits(words: Uint32Array, n: number, out?: Uint32Array): Uint32Array {
  return invertValid(words, n, out, 'words');
}

function invertValid(words: Uint32Array, n: number, out: Uint32Array | undefined, name: string): Uint32Array {
  checkN(n, words.length, name);
  const nw = packedWords(n);
  const o = out ?? new Uint32Array(nw);
  if (o.length < nw) throw badValue('out.length', o.length, `at least ceil(${n} / 32) = ${nw}`);
  for (let i = 0; i < nw; i++) {
    const m = i === nw - 1 ? lastMask(n) : 0xffffffff;
    o[i] = (~words[i] & m) >>> 0;
  }
  return o;
}
