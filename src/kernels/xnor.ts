/**
 * Fast binary GEMM: `out[m*N + n] = xnorDot(A row m, W row n, nBits) = nBits - 2 * popcount(A_m XOR W_n)`
 * over arith's packBits layout (bit 1 = +1, LSB first, each row `ceil(nBits/32)` 32-bit words). Exactly
 * `gemmXnorRef` (tested equal); padding bits past nBits are ignored even if set.
 *
 * WebAssembly SIMD128: 128 bits per step through `v128.xor` + `i8x16.popcnt`, a 2 x 2 output tile with i8 counters. Rows
 * longer than 4095 x 128 bits (the i16 lane counters' limit) use arith's `xnorDotAt` (32-bit SWAR popcount).
 */
import { xnorDotAt } from '../arith/binary.js';
import { checkXnorArgs } from './gemm_ref.js';
import { wasmXnor } from './gemm_wasm.js';
import { parallelRows, rowBlocks, sharedCopy, sharedOut, threadsFor } from './threads.js';

/** Longest row the wasm kernel takes: 4095 chunks of 128 bits. */
export const XNOR_WASM_MAX_BITS = 4095 * 128;

export function gemmXnor(Ap: Uint32Array, Wp: Uint32Array, M: number, N: number, nBits: number, out: Int32Array): Int32Array {
  const wpr = checkXnorArgs(Ap, Wp, M, N, nBits, out);
  // large GEMMs split their rows over the kernel threads (threads.ts; identical results)
  const t = threadsFor(M, M * N * nBits);
  if (t === 1) return gemmXnorOne(Ap, Wp, M, N, nBits, wpr, out);
  // the caller's block (rows [0, h)) reads Ap and writes out directly; the helpers' rows go through the arena
  const blocks = rowBlocks(M, t, 2);
  const h = blocks[0]![1];
  const args: XnorRowsArgs = {
    Ap: sharedCopy(Ap, M * wpr, h * wpr) as Uint32Array, Wp: sharedCopy(Wp, N * wpr) as Uint32Array, N, nBits, wpr, out: sharedOut(out, M * N),
  };
  parallelRows(blocks, (m0, m1) => ({ kernel: 'xnor', args, m0, m1 }), (m1) => gemmXnorOne(Ap, Wp, m1, N, nBits, wpr, out));
  out.set(args.out.subarray(h * N, M * N), h * N);
  return out;
}

/** One row block's arguments (threads.ts): packed operands and output shared between the threads. */
export interface XnorRowsArgs {
  Ap: Uint32Array;
  Wp: Uint32Array;
  N: number;
  nBits: number;
  wpr: number;
  out: Int32Array;
}

/** Rows [m0, m1) of the binary GEMM on this thread. */
export function gemmXnorRows(a: XnorRowsArgs, m0: number, m1: number): void {
  gemmXnorOne(a.Ap.subarray(m0 * a.wpr, m1 * a.wpr), a.Wp, m1 - m0, a.N, a.nBits, a.wpr, a.out.subarray(m0 * a.N, m1 * a.N));
}

function gemmXnorOne(Ap: Uint32Array, Wp: Uint32Array, M: number, N: number, nBits: number, wpr: number, out: Int32Array): Int32Array {
  if (nBits <= XNOR_WASM_MAX_BITS) {
    wasmXnor(Ap, Wp, M, N, nBits, wpr, out);
  } else {
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) out[m * N + n] = xnorDotAt(Ap, m * wpr, Wp, n * wpr, nBits);
    }
  }
  return out;
}
