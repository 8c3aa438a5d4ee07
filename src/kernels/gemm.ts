/**
 * Fast integer GEMM with the exact semantics of `gemmIntRef` (gemm_ref.ts: a PE accumulating k in
 * order at `acc.bits`, WRAP or SAT after every add, optional bias as the initial value).
 *
 * How it stays exact:
 * - S = sum_k A[m,k] W[k,n] is computed by the WebAssembly SIMD128 kernel (`gemm_i16`, i16 operands,
 *   i32 lanes) when every operand is in [-32767, 32767]; it wraps mod 2^32, which is all WRAP at
 *   <= 32 bits needs. When an exact S is needed (SAT, or WRAP above 32 bits): the same kernel if the bound
 *   `K * max|A| * max|W| < 2^31` makes i32 exact, else `gemm_i16_i64` (i32 lanes flushed into i64 often
 *   enough that they cannot overflow) while the bound is below 2^53; a float64 loop for operands outside
 *   [-32767, 32767] (-32768, unsigned 16-bit); the BigInt reference past 2^53.
 * - WRAP: `Y = wrap(acc0 + S)` — wrapping is a ring homomorphism, so the order of the adds is irrelevant.
 * - SAT: let T = sum_k |A[m,k]| |W[k,n]| (the same kernel on |A|, |W|). Every prefix of the PE's sum lies
 *   in [acc0 + (S - T)/2, acc0 + (S + T)/2] (the sums of the negative and of the positive products).
 *   If that interval fits the accumulator, no add saturates and `Y = acc0 + S`; only the outputs where it
 *   does not fit run the sequential saturating loop. When `|acc0| + K max|A| max|W|` fits the accumulator
 *   (deriveDesign's `accBitsNeeded`), T is not even computed.
 * Values above 32 bits are written into the BigInt64Array through an Int32Array view of its two halves
 * (little-endian), so nothing is allocated per element.
 * - Chunked accumulation (`acc.chunk`, gemm_ref.ts): each chunk of L columns of A / rows of W is this
 *   same GEMM with the narrow register starting at 0 (no bias), so it is exact by the rules above; the
 *   chunk results are then added in order into the wide register (cast after each add). A wide register
 *   above 32 bits goes through the BigInt reference.
 */
import { formatRange, intFormat } from '../arith/format.js';
import { saturateIntUnchecked, wrapIntUnchecked } from '../arith/int.js';
import { badValue } from '../util/errors.js';
import { checkGemmArgs, gemmIntRef, wIndex, type AccSpec, type GemmOptions, type GemmOut } from './gemm_ref.js';
import { wasmGemmI16, wasmGemmI16x64 } from './gemm_wasm.js';

const TWO31 = 2 ** 31;
const TWO32 = 2 ** 32;
const TWO53 = 2 ** 53;

/** min / max / max-abs of the first `len` values; rejects non-integers and values outside 16-bit operands. */
function scan(x: ArrayLike<number>, len: number, name: string): { min: number; max: number; maxAbs: number } {
  let min = 0;
  let max = 0;
  for (let i = 0; i < len; i++) {
    const v = x[i];
    if (v < min) min = v;
    else if (v > max) max = v;
    else if (v !== v) min = NaN;
  }
  if (!(min >= -32768 && max <= 65535) || !integral(x, len)) {
    for (let i = 0; i < len; i++) {
      const v = x[i];
      if (!Number.isInteger(v) || v < -32768 || v > 65535) {
        throw badValue(`${name}[${i}]`, v, 'an integer operand of at most 16 bits (-32768..65535)');
      }
    }
  }
  return { min, max, maxAbs: Math.max(-min, max) };
}

function integral(x: ArrayLike<number>, len: number): boolean {
  if (x instanceof Int8Array || x instanceof Uint8Array || x instanceof Int16Array || x instanceof Uint16Array
    || x instanceof Int32Array || x instanceof Uint32Array) return true;
  for (let i = 0; i < len; i++) if (!Number.isInteger(x[i])) return false;
  return true;
}

/** S (or T with `abs`) = A W in float64 — exact while the bound is below 2^53. */
function gemmF64(A: ArrayLike<number>, W: ArrayLike<number>, M: number, K: number, N: number, abs: boolean, wT: boolean): Float64Array {
  const wt = new Float64Array(K * N);
  for (let k = 0; k < K; k++) {
    for (let n = 0; n < N; n++) {
      const v = wT ? W[n * K + k] : W[k * N + n];
      wt[n * K + k] = abs ? Math.abs(v) : v;
    }
  }
  const a = new Float64Array(K);
  const s = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let k = 0; k < K; k++) a[k] = abs ? Math.abs(A[m * K + k]) : A[m * K + k];
    for (let n = 0; n < N; n++) {
      let acc = 0;
      const o = n * K;
      for (let k = 0; k < K; k++) acc += a[k] * wt[o + k];
      s[m * N + n] = acc;
    }
  }
  return s;
}

/**
 * `out = A W` with the PE semantics of `gemmIntRef`: A M x K, W K x N (row-major), operands integers of at
 * most 16 bits, `out` an Int32Array (acc.bits <= 32) or a BigInt64Array (33..64, see `allocGemmOut`).
 * With `opts.wTransposed` W is N x K (row n = output n's weights), which skips a transpose.
 * Large GEMMs run the WebAssembly kernel's column blocks on the kernel threads (threads.ts; identical results).
 */
export function gemmInt(
  A: ArrayLike<number>, W: ArrayLike<number>, M: number, K: number, N: number,
  acc: AccSpec, out: GemmOut, opts: GemmOptions = {},
): GemmOut {
  checkGemmArgs(A, W, M, K, N, acc, out, opts);
  return gemmIntChecked(A, W, M, K, N, acc, out, opts);
}

/** The GEMM (arguments already checked). */
function gemmIntChecked(
  A: ArrayLike<number>, W: ArrayLike<number>, M: number, K: number, N: number,
  acc: AccSpec, out: GemmOut, opts: GemmOptions,
): GemmOut {
  if (acc.chunk !== undefined) {
    if (acc.chunk.wideBits > 32 || !(out instanceof Int32Array)) return gemmIntRef(A, W, M, K, N, acc, out, opts);
    return gemmChunked(A, W, M, K, N, acc, acc.chunk, out, opts);
  }
  const { bits } = acc;
  const sat = acc.overflow === 'SAT';
  // int8/uint8 arrays under WRAP <= 32 bits: the values cannot be invalid and no bound is needed
  const trusted = !sat && bits <= 32 && (A instanceof Int8Array || A instanceof Uint8Array);
  const sa = trusted ? { min: -128, max: 255, maxAbs: 255 } : scan(A, M * K, 'A');
  const sw = trusted && (W instanceof Int8Array || W instanceof Uint8Array) ? sa : scan(W, K * N, 'W');
  const { min: lo, max: hi } = formatRange(intFormat(bits, true));
  // acc0 per column, and its largest magnitude
  const acc0 = new Float64Array(N);
  let acc0Abs = 0;
  for (let n = 0; n < N; n++) {
    const b = opts.bias?.[n] ?? 0;
    acc0[n] = sat ? saturateIntUnchecked(b, bits, true) : wrapIntUnchecked(b, bits, true);
    acc0Abs = Math.max(acc0Abs, Math.abs(acc0[n]));
  }
  const bound = K * sa.maxAbs * sw.maxAbs; // |S| <= bound and T <= bound
  const wasmOk = sa.min >= -32767 && sa.max <= 32767 && sw.min >= -32767 && sw.max <= 32767;
  const wrap32 = !sat && bits <= 32;
  const exact = bound + acc0Abs < TWO53; // float64 sums are exact
  let S: Int32Array | Float64Array;
  const wT = opts.wTransposed === true;
  const maxProd = sa.maxAbs * sw.maxAbs;
  if (wasmOk && wrap32 && bits === 32 && out instanceof Int32Array) {
    // the common case (int32 WRAP accumulator): the kernel's sums plus acc0 (int32 once wrapped) go
    // straight into out
    return wasmGemmI16(A, W, M, K, N, false, wT, out, opts.bias === undefined ? undefined : Int32Array.from(acc0));
  }
  if (wasmOk && (wrap32 || bound < TWO31)) S = wasmGemmI16(A, W, M, K, N, false, wT);
  else if (wasmOk && exact) S = wasmGemmI16x64(A, W, M, K, N, false, wT, maxProd);
  else if (exact) S = gemmF64(A, W, M, K, N, false, wT);
  else return gemmIntRef(A, W, M, K, N, acc, out, opts); // only for K in the millions

  const fits = acc0Abs + bound <= hi; // no prefix can leave the accumulator
  let T: Int32Array | Float64Array | undefined;
  if (sat && !fits) {
    if (!wasmOk) T = gemmF64(A, W, M, K, N, true, wT);
    else if (bound < TWO31) T = wasmGemmI16(A, W, M, K, N, true, wT);
    else T = wasmGemmI16x64(A, W, M, K, N, true, wT, maxProd);
  }
  const wi = wIndex(opts, K, N);
  const halves = out instanceof BigInt64Array ? new Int32Array(out.buffer, out.byteOffset, 2 * M * N) : undefined;
  const o32 = out instanceof Int32Array ? out : undefined;
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      const i = m * N + n;
      const a0 = acc0[n];
      let y: number;
      if (!sat) {
        y = wrapIntUnchecked(a0 + S[i], bits, true);
      } else if (T === undefined || (a0 + (S[i] - T[i]) / 2 >= lo && a0 + (S[i] + T[i]) / 2 <= hi)) {
        y = a0 + S[i];
      } else {
        y = a0; // the sequential saturating PE: state in [lo, hi] plus one product stays below 2^53
        for (let k = 0; k < K; k++) {
          y += A[m * K + k] * W[wi(k, n)];
          y = y < lo ? lo : y > hi ? hi : y;
        }
      }
      if (o32) o32[i] = y;
      else {
        halves![2 * i] = y | 0;
        halves![2 * i + 1] = Math.floor(y / TWO32) | 0;
      }
    }
  }
  return out;
}

/** The chunked GEMM with a wide register of at most 32 bits (see the file header). */
function gemmChunked(
  A: ArrayLike<number>, W: ArrayLike<number>, M: number, K: number, N: number,
  acc: AccSpec, chunk: { length: number; wideBits: number }, out: Int32Array, opts: GemmOptions,
): Int32Array {
  const { wideBits } = chunk;
  const sat = acc.overflow === 'SAT';
  const cast = (v: number): number => (sat ? saturateIntUnchecked(v, wideBits, true) : wrapIntUnchecked(v, wideBits, true));
  for (let n = 0; n < N; n++) {
    const b = cast(opts.bias?.[n] ?? 0);
    for (let m = 0; m < M; m++) out[m * N + n] = b;
  }
  const narrow: AccSpec = { bits: acc.bits, overflow: acc.overflow };
  const wT = opts.wTransposed === true;
  const L = Math.min(chunk.length, K);
  const a = new Int32Array(M * L);
  const w = new Int32Array(L * N);
  const part = new Int32Array(M * N);
  for (let k0 = 0; k0 < K; k0 += L) {
    const len = Math.min(L, K - k0);
    for (let m = 0; m < M; m++) for (let k = 0; k < len; k++) a[m * len + k] = A[m * K + k0 + k];
    if (wT) for (let n = 0; n < N; n++) for (let k = 0; k < len; k++) w[n * len + k] = W[n * K + k0 + k];
    else for (let k = 0; k < len; k++) for (let n = 0; n < N; n++) w[k * N + n] = W[(k0 + k) * N + n];
    gemmIntChecked(a.subarray(0, M * len), w.subarray(0, len * N), M, len, N, narrow, part, { wTransposed: wT });
    for (let i = 0; i < M * N; i++) out[i] = cast(out[i] + part[i]);
  }
  return out;
}
