/**
 * Power-of-two quantization for shift-only hardware.
 *
 * - Power-of-two scale: `scale = 2^ceil(log2(s))` for a wanted scale s (rounded up so nothing that fitted
 *   before is clipped); then a requantization `s_x * s_w / s_y` is `2^-n`, a rounding shift by n.
 * - Power-of-two weights (INQ, Zhou et al. 2017): with `b` bits (one for the sign, one code for zero),
 *   the levels are `{0, ±2^n2, ..., ±2^n1}`, `n1 = floor(log2(4 * max|w| / 3))`,
 *   `n2 = n1 + 1 - 2^(b-1) / 2`; a weight goes to `beta * sign(w)` where `(alpha + beta) / 2 <= |w| < 3 * beta / 2`
 *   for adjacent levels alpha < beta (alpha = 0 below 2^n2), i.e. to the nearest level, else 0 below
 *   `2^n2 / 2`. Stored as integers `±2^(k - n2)` with scale `2^n2`, so `w ~= scale * q`; the integer needs
 *   `n1 - n2 + 2` bits signed.
 */
import { badValue, checkFiniteArray, checkInt } from '../util/errors.js';

/** `2^ceil(log2(s))` (s > 0); 1 for s <= 0. */
export function pow2Ceil(s: number): number {
  if (!(s > 0) || !Number.isFinite(s)) return 1;
  const e = Math.ceil(Math.log2(s));
  // guard float error in log2 near exact powers of two
  if (2 ** (e - 1) >= s) return 2 ** (e - 1);
  return 2 ** e;
}

/** The exponent e of a power-of-two scale 2^e; throws unless `s` is an exact power of two. */
export function pow2Exponent(s: number, name = 'scale'): number {
  const e = Math.round(Math.log2(s));
  if (!(s > 0) || 2 ** e !== s) throw badValue(name, s, 'a power of two');
  return e;
}

export interface Pow2Weights {
  /** integers ±2^j or 0, row-major like w */
  q: Int32Array;
  /** 2^n2 per row (or per tensor) */
  scale: Float64Array;
  /** n1 - n2 + 2: signed integer width that holds every q */
  intBits: number;
}

/**
 * INQ's exponent range for `bits` code bits (2..8) and a layer's largest magnitude `amax` > 0:
 * n1 = floor(log2(4 amax / 3)), n2 = n1 + 1 - 2^(b-1) / 2 (levels 0, +-2^n2 .. +-2^n1).
 */
export function pow2Range(amax: number, bits: number): { n1: number; n2: number } {
  checkInt('bits', bits, 2, 8);
  const n1 = Math.floor(Math.log2((4 * amax) / 3));
  return { n1, n2: n1 + 1 - 2 ** (bits - 1) / 2 };
}

/**
 * INQ's level of one weight for the range n1, n2: beta sign(w) where (alpha + beta) / 2 <= |w| < 3 beta / 2
 * for adjacent levels alpha < beta = 2^k ((alpha + beta) / 2 = 1.5 * 2^(k-1)), 2^n1 at the top, 0 below 2^n2 / 2.
 */
export function pow2Level(w: number, n1: number, n2: number): number {
  const a = Math.abs(w);
  if (a < 2 ** n2 / 2) return 0;
  let k = n2;
  while (k < n1 && a >= 1.5 * 2 ** k) k++;
  return (w > 0 ? 1 : -1) * 2 ** k;
}

/** INQ power-of-two weights with `bits` code bits (2..8), per row or per tensor. */
export function pow2Weights(w: Float32Array, rows: number, bits: number, perChannel: boolean): Pow2Weights {
  checkInt('bits', bits, 2, 8);
  checkFiniteArray('w', w);
  if (!Number.isInteger(rows) || rows < 1 || w.length % rows !== 0) throw badValue('rows', rows, `a divisor of ${w.length}`);
  const groups = perChannel ? rows : 1;
  const len = w.length / groups;
  const q = new Int32Array(w.length);
  const scale = new Float64Array(groups);
  const span = 2 ** (bits - 1) / 2; // number of exponents
  for (let g = 0; g < groups; g++) {
    const base = g * len;
    let amax = 0;
    for (let i = 0; i < len; i++) amax = Math.max(amax, Math.abs(w[base + i]));
    if (amax === 0) {
      scale[g] = 1;
      continue;
    }
    const { n1, n2 } = pow2Range(amax, bits);
    scale[g] = 2 ** n2;
    for (let i = 0; i < len; i++) q[base + i] = pow2Level(w[base + i], n1, n2) / 2 ** n2;
  }
  return { q, scale, intBits: span + 1 };
}

/**
 * The power-of-two weight code of the multiplier-free PE (hdl/mac_pe.sv with WShift = 1), `expBits`
 * exponent bits (0..4): code = nz * 2^(expBits+1) + neg * 2^expBits + e, value
 *   nz ? (neg ? -2^e : 2^e) : 0,   e in 0 .. 2^expBits - 1,
 * so a product w * a is nz ? (neg ? -(a << e) : a << e) : 0. Code 0 is the weight 0; a code with nz = 0 and
 * other bits set also means 0 (the PE ignores neg and e then).
 */
export function pow2CodeValue(code: number, expBits: number): number {
  const nz = (code >> (expBits + 1)) & 1;
  if (nz === 0) return 0;
  const e = code & ((1 << expBits) - 1);
  return (code >> expBits) & 1 ? -(2 ** e) : 2 ** e;
}

/**
 * The code of an integer weight: 0 -> 0; +-2^e with e < 2^expBits -> {1, sign, e}; any other value has no
 * code (`undefined`): it needs the multiplier PE.
 */
export function pow2Code(w: number, expBits: number): number | undefined {
  if (w === 0) return 0;
  const a = Math.abs(w);
  if (!Number.isInteger(a) || a > 2 ** 31) return undefined;
  const e = Math.round(Math.log2(a));
  if (2 ** e !== a || e >= 2 ** expBits) return undefined;
  return (1 << (expBits + 1)) | ((w < 0 ? 1 : 0) << expBits) | e;
}
