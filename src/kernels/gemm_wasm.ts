/**
 * JS side of the WebAssembly kernels in gemm_wat.ts: one lazily created instance, operands copied into
 * its memory (zero-padded to the kernel's tile sizes), large M processed in row chunks so the memory
 * stays below ~256 MiB.
 */
import { GEMM_WASM_BASE64 } from './gemm_wat.js';
import { instantiateWasmSync, type WasmKernel } from './wasm.js';

interface GemmExports {
  gemm_i16(a: number, w: number, out: number, M: number, N: number, K: number): void;
  gemm_i16_i64(a: number, w: number, out: number, M: number, N: number, K: number, B: number): void;
  xnor(a: number, w: number, out: number, M: number, N: number, bytes: number, nBits: number): void;
}

let kernel: WasmKernel<GemmExports> | undefined;

function instance(): WasmKernel<GemmExports> {
  kernel ??= instantiateWasmSync<GemmExports>(new Uint8Array(Buffer.from(GEMM_WASM_BASE64, 'base64')));
  return kernel;
}

type Typed = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float64Array | Float32Array;
/** Integer typed arrays copy into the i16 memory with one native `set` (values are already checked). */
function isTyped(x: ArrayLike<number>): x is Typed {
  return ArrayBuffer.isView(x) && !(x instanceof DataView);
}

const CHUNK_BYTES = 256 * 1024 * 1024;
const up = (x: number, m: number): number => Math.ceil(x / m) * m;

/**
 * `S[m*N + n] = sum_k A[m*K + k] * W[k*N + n]` mod 2^32 (as int32), or with `abs` the same over |A|, |W|.
 * `wT`: W is given as N x K. Operands must be integers in [-32767, 32767] (the caller checks).
 */
export function wasmGemmI16(
  A: ArrayLike<number>, W: ArrayLike<number>, M: number, K: number, N: number, abs: boolean, wT = false,
): Int32Array {
  const S = new Int32Array(M * N);
  run(A, W, M, K, N, abs, wT, 0, (o, m0, mr, Np) => {
    const o32 = new Int32Array(o.buffer, o.byteOffset, mr * Np);
    for (let m = 0; m < mr; m++) S.set(o32.subarray(m * Np, m * Np + N), (m0 + m) * N);
  });
  return S;
}

/**
 * The same sum exact in i64 (`gemm_i16_i64`), returned as float64 — exact while |S| < 2^53, which the
 * caller guarantees. `maxAbsProduct` = max|A| max|W| sets how often the i32 lanes flush into i64.
 */
export function wasmGemmI16x64(
  A: ArrayLike<number>, W: ArrayLike<number>, M: number, K: number, N: number, abs: boolean, wT: boolean,
  maxAbsProduct: number,
): Float64Array {
  const S = new Float64Array(M * N);
  const steps = Math.max(1, Math.min(2 ** 20, Math.floor((2 ** 31 - 1) / (2 * Math.max(1, maxAbsProduct)))));
  run(A, W, M, K, N, abs, wT, steps * 16, (o, m0, mr, Np) => {
    const h = new Int32Array(o.buffer, o.byteOffset, 2 * mr * Np);
    for (let m = 0; m < mr; m++) {
      for (let n = 0; n < N; n++) {
        const i = 2 * (m * Np + n);
        S[(m0 + m) * N + n] = h[i + 1] * 4294967296 + (h[i] >>> 0);
      }
    }
  });
  return S;
}

/**
 * Copies W (transposed to N x K rows) and chunks of A into the wasm memory as zero-padded i16 rows and runs
 * `gemm_i16` (flushBytes 0: i32 out, 4 x 2 tiles) or `gemm_i16_i64` (i64 out, 2 x 2 tiles); `take` reads
 * each chunk's padded M x Np output (a view into the wasm memory) before the next chunk overwrites it.
 */
function run(
  A: ArrayLike<number>, W: ArrayLike<number>, M: number, K: number, N: number, abs: boolean, wT: boolean,
  flushBytes: number, take: (out: Uint8Array, m0: number, rows: number, Np: number) => void,
): void {
  if (M === 0 || N === 0 || K === 0) return;
  const k = instance();
  const wide = flushBytes > 0;
  const tileM = wide ? 2 : 4;
  const oBytes = wide ? 8 : 4;
  const Kp = up(K, 8);
  const Np = up(N, 2);
  const wBytes = Np * Kp * 2;
  const rowBytes = Kp * 2 + Np * oBytes;
  const rows = Math.max(tileM, Math.floor(Math.max(0, CHUNK_BYTES - wBytes) / rowBytes / tileM) * tileM);
  const Mc = Math.min(up(M, tileM), rows);
  const aOff = wBytes;
  const oOff = up(aOff + Mc * Kp * 2, 16);
  k.ensureBytes(oOff + Mc * Np * oBytes);
  const mem = k.memory.buffer;
  const w16 = new Int16Array(mem, 0, Np * Kp);
  w16.fill(0);
  if (wT) {
    for (let n = 0; n < N; n++) {
      const src = n * K;
      const dst = n * Kp;
      if (abs) for (let kk = 0; kk < K; kk++) w16[dst + kk] = Math.abs(W[src + kk]);
      else if (isTyped(W)) w16.set(W.subarray(src, src + K), dst);
      else for (let kk = 0; kk < K; kk++) w16[dst + kk] = W[src + kk];
    }
  } else {
    for (let kk = 0; kk < K; kk++) {
      for (let n = 0; n < N; n++) {
        const v = W[kk * N + n];
        w16[n * Kp + kk] = abs && v < 0 ? -v : v;
      }
    }
  }
  const a16 = new Int16Array(mem, aOff, Mc * Kp);
  for (let m0 = 0; m0 < M; m0 += Mc) {
    const mr = Math.min(Mc, M - m0);
    a16.fill(0);
    for (let m = 0; m < mr; m++) {
      const src = (m0 + m) * K;
      const dst = m * Kp;
      if (abs) for (let kk = 0; kk < K; kk++) a16[dst + kk] = Math.abs(A[src + kk]);
      else if (isTyped(A)) a16.set(A.subarray(src, src + K), dst);
      else for (let kk = 0; kk < K; kk++) a16[dst + kk] = A[src + kk];
    }
    const mp = up(mr, tileM);
    if (wide) k.exports.gemm_i16_i64(aOff, 0, oOff, mp, Np, Kp, Math.min(flushBytes, 2 * Kp));
    else k.exports.gemm_i16(aOff, 0, oOff, mp, Np, Kp);
    take(new Uint8Array(mem, oOff, mp * Np * oBytes), m0, mr, Np);
  }
}

/**
 * Binary GEMM in wasm (see gemm_wat.ts `xnor`): rows of `wpr` words copied to rows of a multiple of 4
 * words, the last valid word masked so padding bits are zero on both sides. `nBits` <= 4095 * 128.
 */
export function wasmXnor(Ap: Uint32Array, Wp: Uint32Array, M: number, N: number, nBits: number, wpr: number, out: Int32Array): void {
  if (M === 0 || N === 0) return;
  const k = instance();
  const wp = Math.max(4, up(wpr, 4));
  const Np = up(N, 2);
  const rest = nBits & 31;
  const mask = rest === 0 ? 0xffffffff : (2 ** rest - 1) >>> 0;
  const copyRows = (dst: Uint32Array, src: Uint32Array, row0: number, rows: number): void => {
    dst.fill(0);
    for (let r = 0; r < rows; r++) {
      const s = (row0 + r) * wpr;
      for (let i = 0; i < wpr; i++) dst[r * wp + i] = src[s + i];
      if (wpr > 0) dst[r * wp + wpr - 1] &= mask;
    }
  };
  const wBytes = Np * wp * 4;
  const rowBytes = wp * 4 + Np * 4;
  const Mc = up(Math.min(M, Math.max(2, Math.floor(Math.max(0, CHUNK_BYTES - wBytes) / rowBytes))), 2);
  const aOff = wBytes;
  const oOff = aOff + Mc * wp * 4;
  k.ensureBytes(oOff + Mc * Np * 4);
  const mem = k.memory.buffer;
  copyRows(new Uint32Array(mem, 0, Np * wp), Wp, 0, N);
  const a32 = new Uint32Array(mem, aOff, Mc * wp);
  const o32 = new Int32Array(mem, oOff, Mc * Np);
  for (let m0 = 0; m0 < M; m0 += Mc) {
    const mr = Math.min(Mc, M - m0);
    copyRows(a32, Ap, m0, mr);
    k.exports.xnor(aOff, 0, oOff, up(mr, 2), Np, wp * 4, nBits);
    for (let m = 0; m < mr; m++) {
      const d = (m0 + m) * N;
      for (let n = 0; n < N; n++) out[d + n] = o32[m * Np + n];
    }
  }
}
