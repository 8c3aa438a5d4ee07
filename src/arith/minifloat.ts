/**
 * Minifloats (docs/arithmetic.md section 4): FP16 (IEEE binary16), BF16, FP8 E4M3FN and FP8 E5M2 (OCP FP8).
 *
 * | format    | exp | man | bias | max            | inf  | NaN (canonical)        |
 * |-----------|-----|-----|------|----------------|------|------------------------|
 * | fp16      | 5   | 10  | 15   | 65504          | yes  | 0x7E00 \| sign          |
 * | bf16      | 8   | 7   | 127  | 3.3895314e38   | yes  | 0x7FC0 \| sign (Eigen)  |
 * | fp8e4m3fn | 4   | 3   | 7    | 448            | no   | S.1111.111 (0x7F\|sign) |
 * | fp8e5m2   | 5   | 2   | 15   | 57344          | yes  | 0x7E \| sign            |
 *
 * Encoding rounds the exact value of `x` once: round to nearest, ties to even, with subnormals (a float32
 * input is thus converted directly from float32; ml_dtypes would first round a float64 to float32).
 * The rounding is named in modes.ts's vocabulary: RND_CONV (the above) or STOCHASTIC, with which the magnitude rounds up with probability equal to the dropped fraction
 * (one `rng.float()` per element: up iff `u < frac`, exact for float32 inputs).
 * Overflow (a rounded magnitude above max): non-saturating (the ml_dtypes default) gives inf — which is
 * NaN for E4M3FN, which has no inf; saturating clamps to ±max (also for ±inf inputs). NaN stays NaN.
 *
 * Method: with `q = |x| / 2^qe` where `qe = max(floor(log2|x|), emin) - man` (an exact power-of-two
 * scaling), the rounded integer `n` gives the code directly: `code = ((qe + man + bias - 1) << man) + n`
 * (a carry of n into the next binade and subnormals fall out of the same formula). For float32 inputs
 * BF16 equals Eigen's `bits += 0x7FFF + ((bits >> 16) & 1)` rule (tested).
 */
import { badValue } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import { roundHalfEven } from './requant.js';
import type { CastRounding } from './modes.js';

export type MinifloatFormat = 'fp16' | 'bf16' | 'fp8e4m3fn' | 'fp8e5m2';
export const MINIFLOAT_FORMATS: readonly MinifloatFormat[] = ['fp16', 'bf16', 'fp8e4m3fn', 'fp8e5m2'];

/** The roundings of a minifloat encoding (modes.ts names): RND_CONV (nearest, ties to even) or STOCHASTIC. */
export type MinifloatRounding = Extract<CastRounding, 'RND_CONV' | 'STOCHASTIC'>;
export const MINIFLOAT_ROUNDINGS: readonly MinifloatRounding[] = ['RND_CONV', 'STOCHASTIC'];

export interface MinifloatOptions {
  /** Clamp overflow to ±max (true) or produce inf / NaN (false, the ml_dtypes default). */
  saturate: boolean;
  rounding: MinifloatRounding;
  /** Required for STOCHASTIC rounding. */
  rng?: Rng;
}

/** The bit layout of a minifloat format. */
export interface MinifloatParams {
  expBits: number;
  manBits: number;
  bias: number;
  hasInf: boolean;
  /** Code of the largest finite magnitude. */
  maxCode: number;
  infCode: number;
  nanCode: number;
  signBit: number;
  /** Largest finite value. */
  max: number;
}

function params(expBits: number, manBits: number, bias: number, hasInf: boolean, nanCode: number): MinifloatParams {
  const expMax = (1 << expBits) - 1;
  const maxCode = hasInf ? ((expMax - 1) << manBits) | ((1 << manBits) - 1) : (expMax << manBits) | ((1 << manBits) - 2);
  const signBit = 1 << (expBits + manBits);
  const p: MinifloatParams = { expBits, manBits, bias, hasInf, maxCode, infCode: expMax << manBits, nanCode, signBit, max: 0 };
  p.max = decodeWith(maxCode, p);
  return p;
}

export const MINIFLOAT_PARAMS: Readonly<Record<MinifloatFormat, MinifloatParams>> = {
  fp16: params(5, 10, 15, true, 0x7e00),
  bf16: params(8, 7, 127, true, 0x7fc0),
  fp8e4m3fn: params(4, 3, 7, false, 0x7f),
  fp8e5m2: params(5, 2, 15, true, 0x7e),
};

function fmtParams(fmt: MinifloatFormat): MinifloatParams {
  const p = MINIFLOAT_PARAMS[fmt];
  if (p === undefined || !Object.hasOwn(MINIFLOAT_PARAMS, fmt)) {
    throw badValue('fmt', fmt, `one of ${MINIFLOAT_FORMATS.join(', ')}`);
  }
  return p;
}

function checkOpts(opts: MinifloatOptions): void {
  if (opts === null || typeof opts !== 'object') throw badValue('opts', opts, '{saturate, rounding, rng?}');
  if (typeof opts.saturate !== 'boolean') throw badValue('opts.saturate', opts.saturate, 'true or false');
  if (!MINIFLOAT_ROUNDINGS.includes(opts.rounding)) {
    throw badValue('opts.rounding', opts.rounding, 'RND_CONV (nearest, ties to even) or STOCHASTIC');
  }
  if (opts.rounding === 'STOCHASTIC' && (opts.rng === undefined || typeof opts.rng.float !== 'function')) {
    throw badValue('opts.rng', opts.rng, 'an Rng (src/util/rng.ts) for STOCHASTIC rounding');
  }
}

const f64 = new Float64Array(1);
const w32 = new Uint32Array(f64.buffer);
/** `2^k` for k = -1074..1023 at index k + 1074 (every power of two a double holds, exactly). */
const POW2_ALL = Float64Array.from({ length: 2098 }, (_, i) => 2 ** (i - 1074));

/** Encoder kernel, no validation. `rng` non-null means stochastic rounding. */
export function encodeWith(x: number, p: MinifloatParams, saturate: boolean, rng: Rng | null): number {
  f64[0] = x;
  const hi = w32[1];
  const sign = hi >>> 31 ? p.signBit : 0;
  if (x !== x) return p.nanCode | sign;
  const a = x < 0 ? -x : x;
  if (a === Infinity) return (saturate ? p.maxCode : p.hasInf ? p.infCode : p.nanCode) | sign;
  if (a === 0) return sign;
  const m = p.manBits;
  const emin = 1 - p.bias;
  const e = ((hi >>> 20) & 0x7ff) - 1023; // floor(log2 a) for normal doubles; -1023 for subnormal ones
  const qe = (e < emin ? emin : e) - m;
  const q = a * POW2_ALL[1074 - qe]; // exact: power-of-two scaling, q < 2^(m+1)
  let n: number;
  if (rng === null) {
    n = roundHalfEven(q);
  } else {
    const fl = Math.floor(q);
    n = rng.float() < q - fl ? fl + 1 : fl;
  }
  const code = (qe + m + p.bias - 1) * (1 << m) + n;
  if (code > p.maxCode) return (saturate ? p.maxCode : p.hasInf ? p.infCode : p.nanCode) | sign;
  return code | sign;
}

/** Decoder kernel, no validation. */
export function decodeWith(bits: number, p: MinifloatParams): number {
  const m = p.manBits;
  const expMax = (1 << p.expBits) - 1;
  const s = bits & p.signBit ? -1 : 1;
  const E = (bits >>> m) & expMax;
  const M = bits & ((1 << m) - 1);
  if (E === expMax) {
    if (p.hasInf) return M === 0 ? s * Infinity : NaN;
    if (M === (1 << m) - 1) return NaN;
  }
  if (E === 0) return s * M * 2 ** (1 - p.bias - m);
  return s * ((1 << m) + M) * 2 ** (E - p.bias - m);
}

/** Encodes `x` (its exact value) to the minifloat's bit pattern (an unsigned integer). */
export function encodeMinifloat(x: number, fmt: MinifloatFormat, opts: MinifloatOptions): number {
  const p = fmtParams(fmt);
  checkOpts(opts);
  if (typeof x !== 'number') throw badValue('x', x, 'a number');
  return encodeWith(x, p, opts.saturate, opts.rounding === 'STOCHASTIC' ? (opts.rng as Rng) : null);
}

/** The value of a minifloat bit pattern (NaN for NaN codes). */
export function decodeMinifloat(bits: number, fmt: MinifloatFormat): number {
  const p = fmtParams(fmt);
  const top = p.signBit * 2 - 1;
  if (!Number.isInteger(bits) || bits < 0 || bits > top) throw badValue('bits', bits, `an integer 0..${top} (a ${fmt} code)`);
  return decodeWith(bits, p);
}

const tables: Partial<Record<MinifloatFormat, Float32Array>> = {};

/** All codes of a format decoded (every minifloat value is exact in float32). Cached. */
export function minifloatTable(fmt: MinifloatFormat): Float32Array {
  const p = fmtParams(fmt);
  let t = tables[fmt];
  if (t === undefined) {
    t = new Float32Array(p.signBit * 2);
    for (let c = 0; c < t.length; c++) t[c] = decodeWith(c, p);
    tables[fmt] = t;
  }
  return t;
}

/** Batch encode into `out` (Uint16Array for 16-bit formats, Uint8Array or wider for FP8). */
export function encodeMinifloatArray<T extends Uint8Array | Uint16Array | Uint32Array>(
  src: ArrayLike<number>, fmt: MinifloatFormat, opts: MinifloatOptions, out: T,
): T {
  const p = fmtParams(fmt);
  checkOpts(opts);
  if (out.length < src.length) throw badValue('out.length', out.length, `at least src.length (${src.length})`);
  if (out.BYTES_PER_ELEMENT * 8 < p.expBits + p.manBits + 1) throw badValue('out', out.constructor.name, `an array of at least ${p.expBits + p.manBits + 1}-bit elements`);
  const rng = opts.rounding === 'STOCHASTIC' ? (opts.rng as Rng) : null;
  for (let i = 0; i < src.length; i++) out[i] = encodeWith(src[i], p, opts.saturate, rng);
  return out;
}

/** Batch decode of codes into float32 values (table lookup). */
export function decodeMinifloatArray(codes: Uint8Array | Uint16Array | Uint32Array, fmt: MinifloatFormat, out: Float32Array): Float32Array {
  const t = minifloatTable(fmt);
  if (out.length < codes.length) throw badValue('out.length', out.length, `at least codes.length (${codes.length})`);
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (c >= t.length) throw badValue(`codes[${i}]`, c, `an integer 0..${t.length - 1} (a ${fmt} code)`);
    out[i] = t[c];
  }
  return out;
}

/** Rounds float32 values to the minifloat grid in place or into `out`: `out[i] = decode(encode(src[i]))`. */
export function roundToMinifloatArray(src: Float32Array, fmt: MinifloatFormat, opts: MinifloatOptions, out: Float32Array): Float32Array {
  const p = fmtParams(fmt);
  checkOpts(opts);
  if (out.length < src.length) throw badValue('out.length', out.length, `at least src.length (${src.length})`);
  const t = minifloatTable(fmt);
  const rng = opts.rounding === 'STOCHASTIC' ? (opts.rng as Rng) : null;
  for (let i = 0; i < src.length; i++) out[i] = t[encodeWith(src[i], p, opts.saturate, rng)];
  return out;
}
