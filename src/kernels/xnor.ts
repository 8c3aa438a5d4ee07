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

/** Longest row the wasm kernel takes: 4095 chunks of 128 bits. */
export const XNOR_WASM_MAX_BITS = 4095 * 128;

/** Large GEMMs run the WebAssembly kernel's column blocks on the kernel threads (threads.ts; identical results). */
export function gemmXnor(Ap: Uint32Array, Wp: Uint32Array, M: number, N: number, nBits: number, out: Int32Array): Int32Array {
  const wpr = checkXnorArgs(Ap, Wp, M, N, nBits, out);
  return gemmXnorOne(Ap, Wp, M, N, nBits, wpr, out);
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
