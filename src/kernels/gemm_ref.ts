/**
 * THE DEFINITION of lowbit's integer GEMM and binary GEMM (docs/architecture.md convention 4): small, naive, exact.
 * Every fast kernel in this folder is tested equal to these on seeded random inputs.
 *
 * Integer GEMM, `Y = A W` with A: M x K and W: K x N, both row-major (or W as N x K with `wTransposed`),
 * Y: M x N row-major. Each output is
 * what one PE computes, accumulating k = 0, 1, ..., K-1 in order in a signed `acc.bits`-wide register:
 *
 *     acc_0     = cast(bias[n])                        (0 without a bias)
 *     acc_{k+1} = cast(acc_k + A[m,k] * W[k,n])        cast = wrapInt (WRAP) or saturateInt (SAT)
 *     Y[m,n]    = acc_K
 *
 * With WRAP the result is `(bias + sum) mod 2^bits` whatever the order; with SAT every add saturates, so
 * the order matters. Computed here in BigInt with arith's `castIntBig`, so it is exact at every width
 * 2..64. Output: Int32Array when `acc.bits <= 32`, BigInt64Array above.
 *
 * Chunked accumulation (`acc.chunk = {length: L, wideBits: B}`): the `acc.bits`-wide register is a narrow
 * one that sums L products at a time from 0, and after each chunk it is added into a wide B-bit register
 * (the same overflow mode) that started at the bias; the last chunk may be shorter:
 *
 *     wide_0    = castB(bias[n]);   for each chunk j (k = jL .. min(K, (j+1)L) - 1, in order):
 *       part_0  = 0,  part_{i+1} = cast(part_i + A[m,k] * W[k,n]),   wide_{j+1} = castB(wide_j + part_L)
 *     Y[m,n]    = the last wide value (Int32Array when B <= 32, BigInt64Array above)
 *
 * Binary GEMM over arith's packBits layout (bit 1 = +1, LSB first, rows of `ceil(nBits/32)` words):
 *     Y[m,n] = xnorDot(A row m, W row n, nBits) = nBits - 2 * popcount(A_m XOR W_n)   (valid bits only)
 */
import { castIntBig } from '../arith/int.js';
import { intFormat } from '../arith/format.js';
import { packedWords, xnorDotAt } from '../arith/binary.js';
import { badValue, checkEnum, checkInt } from '../util/errors.js';

/** The accumulator of a GEMM: signed, `bits` 2..64, WRAP or SAT after every add. */
export interface AccSpec {
  bits: number;
  overflow: 'WRAP' | 'SAT';
  /**
   * Chunked accumulation (see the file header): `length` products (1..2^31) per chunk in the `bits`-wide
   * register, each chunk then added into a `wideBits`-wide one (bits..64). Absent: one register.
   */
  chunk?: { length: number; wideBits: number };
}

/** Width of the register that holds a GEMM's result: `chunk.wideBits` when chunked, else `bits`. */
export function accOutBits(acc: AccSpec): number {
  return acc.chunk ? acc.chunk.wideBits : acc.bits;
}

/** Validates an accumulator spec (shared by the GEMMs, the Design parser's callers and the reference). */
export function checkAccSpec(acc: AccSpec, name = 'acc'): void {
  checkInt(`${name}.bits`, acc?.bits, 2, 64);
  checkEnum(`${name}.overflow`, acc.overflow, ['WRAP', 'SAT'] as const);
  if (acc.chunk === undefined) return;
  checkInt(`${name}.chunk.length`, acc.chunk?.length, 1, 2 ** 31);
  checkInt(`${name}.chunk.wideBits`, acc.chunk.wideBits, acc.bits, 64);
}

/** GEMM output: Int32Array for accumulators up to 32 bits, BigInt64Array for 33..64. */
export type GemmOut = Int32Array | BigInt64Array;

export interface GemmOptions {
  /** initial accumulator value per output column n (length >= N), safe integers; cast into the acc first */
  bias?: ArrayLike<number>;
  /**
   * W is given transposed, N x K row-major (row n = the weights of output n, as hardware stores them):
   * element (k, n) at `W[n*K + k]` instead of `W[k*N + n]`. Saves the kernels a transpose.
   */
  wTransposed?: boolean;
}

/** Index of W(k, n) for the layout in `opts`. */
export function wIndex(opts: GemmOptions, K: number, N: number): (k: number, n: number) => number {
  return opts.wTransposed ? (k, n) => n * K + k : (k, n) => k * N + n;
}

/** Allocates the right output array for an M x N GEMM with this accumulator. */
export function allocGemmOut(M: number, N: number, acc: AccSpec): GemmOut {
  return accOutBits(acc) <= 32 ? new Int32Array(M * N) : new BigInt64Array(M * N);
}

/** Validates shapes, the accumulator, the output type and the bias; shared by every GEMM entry point. */
export function checkGemmArgs(
  A: ArrayLike<number>, W: ArrayLike<number>, M: number, K: number, N: number,
  acc: AccSpec, out: GemmOut, opts: GemmOptions,
): void {
  checkInt('M', M, 0, 2 ** 31);
  checkInt('K', K, 0, 2 ** 31);
  checkInt('N', N, 0, 2 ** 31);
  checkAccSpec(acc);
  if (A.length < M * K) throw badValue('A.length', A.length, `at least M*K = ${M * K}`);
  if (W.length < K * N) throw badValue('W.length', W.length, `at least K*N = ${K * N}`);
  if (out.length < M * N) throw badValue('out.length', out.length, `at least M*N = ${M * N}`);
  const wantBig = accOutBits(acc) > 32;
  if (wantBig !== out instanceof BigInt64Array) {
    throw badValue('out', out.constructor.name, wantBig ? 'a BigInt64Array for a result wider than 32 bits' : 'an Int32Array for a result of at most 32 bits');
  }
  if (opts.bias !== undefined) {
    if (opts.bias.length < N) throw badValue('bias.length', opts.bias.length, `at least N = ${N}`);
    for (let n = 0; n < N; n++) {
      if (!Number.isSafeInteger(opts.bias[n])) throw badValue(`bias[${n}]`, opts.bias[n], 'a safe integer');
    }
  }
}

/** The reference integer GEMM (see the file header). Slow (BigInt); for tests and odd corners. */
export function gemmIntRef(
  A: ArrayLike<number>, W: ArrayLike<number>, M: number, K: number, N: number,
  acc: AccSpec, out: GemmOut, opts: GemmOptions = {},
): GemmOut {
  checkGemmArgs(A, W, M, K, N, acc, out, opts);
  const f = intFormat(acc.bits, true);
  const fw = intFormat(accOutBits(acc), true);
  const L = acc.chunk?.length ?? Math.max(K, 1);
  const wi = wIndex(opts, K, N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s: bigint;
      if (acc.chunk === undefined) {
        s = castIntBig(BigInt(opts.bias?.[n] ?? 0), f, acc.overflow);
        for (let k = 0; k < K; k++) s = castIntBig(s + BigInt(A[m * K + k]) * BigInt(W[wi(k, n)]), f, acc.overflow);
      } else {
        s = castIntBig(BigInt(opts.bias?.[n] ?? 0), fw, acc.overflow);
        for (let k0 = 0; k0 < K; k0 += L) {
          let part = 0n;
          for (let k = k0; k < Math.min(K, k0 + L); k++) {
            part = castIntBig(part + BigInt(A[m * K + k]) * BigInt(W[wi(k, n)]), f, acc.overflow);
          }
          s = castIntBig(s + part, fw, acc.overflow);
        }
      }
      if (out instanceof BigInt64Array) out[m * N + n] = s;
      else out[m * N + n] = Number(s);
    }
  }
  return out;
}

/** Checks the arguments of a binary GEMM. */
export function checkXnorArgs(Ap: Uint32Array, Wp: Uint32Array, M: number, N: number, nBits: number, out: Int32Array): number {
  checkInt('M', M, 0, 2 ** 31);
  checkInt('N', N, 0, 2 ** 31);
  checkInt('nBits', nBits, 0, 2 ** 31);
  const wpr = packedWords(nBits);
  if (!(Ap instanceof Uint32Array)) throw badValue('Apacked', Ap, 'a Uint32Array (arith packBits layout)');
  if (!(Wp instanceof Uint32Array)) throw badValue('Wpacked', Wp, 'a Uint32Array (arith packBits layout)');
  if (!(out instanceof Int32Array)) throw badValue('out', out, 'an Int32Array');
  if (Ap.length < M * wpr) throw badValue('Apacked.length', Ap.length, `at least M * ceil(nBits/32) = ${M * wpr}`);
  if (Wp.length < N * wpr) throw badValue('Wpacked.length', Wp.length, `at least N * ceil(nBits/32) = ${N * wpr}`);
  if (out.length < M * N) throw badValue('out.length', out.length, `at least M*N = ${M * N}`);
  return wpr;
}

/** The reference binary GEMM: `out[m*N + n] = xnorDot(A row m, W row n, nBits)` through arith. */
export function gemmXnorRef(Ap: Uint32Array, Wp: Uint32Array, M: number, N: number, nBits: number, out: Int32Array): Int32Array {
  const wpr = checkXnorArgs(Ap, Wp, M, N, nBits, out);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) out[m * N + n] = xnorDotAt(Ap, m * wpr, Wp, n * wpr, nBits);
  }
  return out;
}
