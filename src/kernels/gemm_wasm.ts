/**
 * JS side of the WebAssembly kernels in gemm_wat.ts: one lazily created instance per thread, all over one
 * shared memory (the helper threads of threads.ts instantiate over the calling thread's). Operands are
 * converted into it zero-padded to the kernel's tile sizes; large M is processed in row chunks so the
 * memory stays below ~256 MiB. Per row chunk the calling thread converts its rows of A, then the output
 * columns are cut into blocks (`ColumnJob`, guided sizes): a block converts its rows of the transposed W (on the first
 * chunk) and runs the kernel for those columns of every row of the chunk (the kernels' `ldo` is the padded
 * row length). Large GEMMs run their blocks on the kernel threads (threads.ts); the calling thread then
 * reads the whole output.
 */
import { GEMM_WASM_BASE64 } from './gemm_wat.js';
import { parallelBlocks, sharedCopy, threadsFor, kernelThreads, type KernelKind } from './threads.js';
import { instantiateWasmSync, sharedWasmMemory, type WasmKernel, type WasmMemory } from './wasm.js';

interface GemmExports {
  gemm_i16(a: number, w: number, out: number, M: number, N: number, K: number, ldo: number): void;
  gemm_i16_i64(a: number, w: number, out: number, M: number, N: number, K: number, B: number, ldo: number): void;
  xnor(a: number, w: number, out: number, M: number, N: number, bytes: number, nBits: number, ldo: number): void;
}

let kernel: WasmKernel<GemmExports> | undefined;
const binary = (): Uint8Array => new Uint8Array(Buffer.from(GEMM_WASM_BASE64, 'base64'));

function instance(): WasmKernel<GemmExports> {
  kernel ??= instantiateWasmSync<GemmExports>(binary(), 1, 65536, sharedWasmMemory());
  return kernel;
}

/** What a kernel helper thread instantiates: the calling thread's compiled module and shared memory. */
export interface GemmShared {
  module: object;
  memory: WasmMemory;
}

/** In a kernel helper thread: the kernels (compiled code shared, not recompiled) over the shared memory. */
export function useGemmShared(shared: GemmShared): void {
  kernel = instantiateWasmSync<GemmExports>(shared.module, 1, 65536, shared.memory);
}

type Typed = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float64Array | Float32Array;
/** Integer typed arrays copy into the i16 memory with one native `set` (values are already checked). */
function isTyped(x: ArrayLike<number>): x is Typed {
  return ArrayBuffer.isView(x) && !(x instanceof DataView);
}

let chunkBytes = 256 * 1024 * 1024;
/** The memory budget of one row chunk (default 256 MiB); tests lower it to exercise several chunks. */
export function setChunkBytes(bytes = 256 * 1024 * 1024): void {
  chunkBytes = bytes;
}
const up = (x: number, m: number): number => Math.ceil(x / m) * m;

/** Fewest columns in a block. */
const MIN_BLOCK_COLUMNS = 16;

/**
 * One GEMM row chunk's column blocks, as any thread runs them (`runColumnBlock`): where the operands are in
 * the shared memory and how W's rows convert. Block b covers output columns [starts[b], starts[b + 1]).
 */
export interface ColumnJob {
  kernel: 'i16' | 'i16_i64' | 'xnor';
  /** i16: K x N values (N x K with `wT`); xnor: N packed rows of K words. Shared when helpers read it. */
  W: ArrayLike<number>;
  wT: boolean;
  /** convert |W| (the SAT bound's T) */
  abs: boolean;
  /** the reduction length of a row of W: i16 values, xnor 32-bit words */
  K: number;
  N: number;
  /** padded output columns: the output's row stride */
  Np: number;
  /** padded reduction length in the memory: i16 values (a multiple of 8), xnor words (a multiple of 4) */
  Kp: number;
  /** the blocks' first columns, then Np */
  starts: number[];
  /** padded rows of this chunk (the kernel's M) */
  rows: number;
  /** whether the blocks convert their rows of W (the first chunk; later chunks reuse them) */
  convertW: boolean;
  aOff: number;
  wOff: number;
  oOff: number;
  /** gemm_i16_i64: bytes of k between flushes of the i32 lanes */
  flushBytes: number;
  /** xnor: the row length in bits, and the mask of the last valid word */
  nBits: number;
  mask: number;
}

/**
 * Column blocks for Np padded columns on the kernel threads, as `starts` (first columns, then Np): one
 * block on one thread; else guided: each block 1/(2t) of the columns still left (even, at least
 * MIN_BLOCK_COLUMNS), so the first blocks are large and the last small, and the thread that finishes
 * first waits at most one small block for the others.
 */
function columnBlocks(Np: number): number[] {
  const t = kernelThreads();
  if (t === 1) return [0, Np];
  const starts = [0];
  for (let n = 0; n < Np;) {
    n = Math.min(Np, n + Math.max(MIN_BLOCK_COLUMNS, up(Math.ceil((Np - n) / (2 * t)), 2)));
    starts.push(n);
  }
  return starts;
}

/** `prepare()` (the row chunk's A), then every block of `job`, on `t` threads when t > 1 (threads.ts). */
function runBlocks(job: ColumnJob, blocks: number, t: number, prepare: () => void): void {
  if (t > 1) {
    const { module, memory } = instance();
    return parallelBlocks(t, blocks, job, { module, memory } satisfies GemmShared, prepare, (b) => runColumnBlock(job, b));
  }
  prepare();
  for (let b = 0; b < blocks; b++) runColumnBlock(job, b);
}

/** Block b of a row chunk: its rows of the transposed W (zero-padded) converted, then the kernel on them. */
export function runColumnBlock(j: ColumnJob, b: number): void {
  const k = instance();
  const n0 = j.starts[b]!;
  const nc = j.starts[b + 1]! - n0;
  const nReal = Math.max(0, Math.min(j.N, n0 + nc) - n0);
  const mem = k.memory.buffer;
  if (j.kernel === 'xnor') {
    const wOff = j.wOff + n0 * j.Kp * 4;
    if (j.convertW) copyWordRows(new Uint32Array(mem, wOff, nc * j.Kp), j.W as Uint32Array, n0, nReal, j.K, j.Kp, j.mask, nc);
    k.exports.xnor(j.aOff, wOff, j.oOff + n0 * 4, j.rows, nc, j.Kp * 4, j.nBits, j.Np);
    return;
  }
  const wOff = j.wOff + n0 * j.Kp * 2;
  if (j.convertW) convertWRows(new Int16Array(mem, wOff, nc * j.Kp), j, n0, nReal);
  if (j.kernel === 'i16') k.exports.gemm_i16(j.aOff, wOff, j.oOff + n0 * 4, j.rows, nc, j.Kp, j.Np);
  else k.exports.gemm_i16_i64(j.aOff, wOff, j.oOff + n0 * 8, j.rows, nc, j.Kp, Math.min(j.flushBytes, 2 * j.Kp), j.Np);
}

/** K values of `src` from `from` into `dst` at `at` as i16 (|v| when `abs`): one row of A or of the transposed W. */
function putRow16(dst: Int16Array, at: number, src: ArrayLike<number>, from: number, K: number, abs: boolean): void {
  if (abs) for (let kk = 0; kk < K; kk++) dst[at + kk] = Math.abs(src[from + kk]!);
  else if (isTyped(src)) dst.set(src.subarray(from, from + K), at);
  else for (let kk = 0; kk < K; kk++) dst[at + kk] = src[from + kk]!;
}

/** Rows n0..n0+count of the transposed W (row n = output n's weights) as i16 rows of Kp, zero-padded. */
function convertWRows(w16: Int16Array, j: ColumnJob, n0: number, count: number): void {
  const { W, K, N, Kp, abs } = j;
  w16.fill(0);
  if (j.wT) {
    for (let r = 0; r < count; r++) putRow16(w16, r * Kp, W, (n0 + r) * K, K, abs);
    return;
  }
  // W is K x N: a block's columns are `count` adjacent values of each row, written down the block's rows
  for (let kk = 0; kk < K; kk++) {
    const src = kk * N + n0;
    for (let r = 0; r < count; r++) {
      const v = W[src + r];
      w16[r * Kp + kk] = abs && v < 0 ? -v : v;
    }
  }
}

/**
 * `count` packed rows of `wpr` words from src row `row0` into rows of `wp` words, the last valid word
 * masked, zeros after it and in rows count..padRows-1.
 */
function copyWordRows(dst: Uint32Array, src: Uint32Array, row0: number, count: number, wpr: number, wp: number, mask: number, padRows: number): void {
  for (let r = 0; r < count; r++) {
    const s = (row0 + r) * wpr;
    dst.set(src.subarray(s, s + wpr), r * wp);
    if (wpr > 0) dst[r * wp + wpr - 1] &= mask;
    if (wp > wpr) dst.fill(0, r * wp + wpr, (r + 1) * wp);
  }
  dst.fill(0, count * wp, padRows * wp);
}

/**
 * `S[m*N + n] = acc0[n] + sum_k A[m*K + k] * W[k*N + n]` mod 2^32 (as int32; `acc0` int32 initial values,
 * default 0), or with `abs` the same over |A|, |W|, written into `S`. `wT`: W is given as N x K. Operands
 * must be integers in [-32767, 32767] (the caller checks).
 */
export function wasmGemmI16(
  A: ArrayLike<number>, W: ArrayLike<number>, M: number, K: number, N: number, abs: boolean, wT = false,
  S: Int32Array = new Int32Array(M * N), acc0?: Int32Array,
): Int32Array {
  run(A, W, M, K, N, abs, wT, 0, (o, m0, mr, Np) => {
    const o32 = new Int32Array(o.buffer, o.byteOffset, mr * Np);
    for (let m = 0; m < mr; m++) {
      const src = m * Np;
      const dst = (m0 + m) * N;
      if (acc0 === undefined) S.set(o32.subarray(src, src + N), dst);
      else for (let n = 0; n < N; n++) S[dst + n] = (o32[src + n] + acc0[n]) | 0;
    }
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

/** Layout of a GEMM in the memory: W's padded rows at 0, then a chunk of A's rows, then their output. */
function layout(wBytes: number, aRowBytes: number, oRowBytes: number, M: number, tileM: number): { Mc: number; aOff: number; oOff: number; end: number } {
  const rows = Math.max(tileM, Math.floor(Math.max(0, chunkBytes - wBytes) / (aRowBytes + oRowBytes) / tileM) * tileM);
  const Mc = Math.min(up(M, tileM), rows);
  const aOff = wBytes;
  const oOff = up(aOff + Mc * aRowBytes, 64);
  return { Mc, aOff, oOff, end: oOff + Mc * oRowBytes };
}

/** Threads and blocks for a GEMM of `work` multiply-adds over Np padded columns. */
function plan(kind: KernelKind, Np: number, work: number): { starts: number[]; blocks: number; t: number } {
  const starts = columnBlocks(Np);
  return { starts, blocks: starts.length - 1, t: threadsFor(kind, starts.length - 1, work) };
}

/**
 * Converts chunks of A into the wasm memory as zero-padded i16 rows and runs the column blocks of
 * `gemm_i16` (flushBytes 0: i32 out, 4 x 2 tiles) or `gemm_i16_i64` (i64 out, 2 x 2 tiles) on them; `take`
 * reads each chunk's padded M x Np output (a view into the wasm memory) before the next chunk overwrites it.
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
  const { Mc, aOff, oOff, end } = layout(Np * Kp * 2, Kp * 2, Np * oBytes, M, tileM);
  k.ensureBytes(end);
  const { starts, blocks, t } = plan('int', Np, M * K * N);
  const job: ColumnJob = {
    kernel: wide ? 'i16_i64' : 'i16', W: t > 1 ? sharedCopy(W, K * N) : W, wT, abs, K, N, Np, Kp, starts, rows: 0,
    convertW: true, aOff, wOff: 0, oOff, flushBytes, nBits: 0, mask: 0,
  };
  const mem = k.memory.buffer;
  const a16 = new Int16Array(mem, aOff, Mc * Kp);
  for (let m0 = 0; m0 < M; m0 += Mc) {
    const mr = Math.min(Mc, M - m0);
    job.rows = up(mr, tileM);
    runBlocks(job, blocks, t, () => {
      for (let m = 0; m < mr; m++) {
        const dst = m * Kp;
        putRow16(a16, dst, A, (m0 + m) * K, K, abs);
        if (Kp > K) a16.fill(0, dst + K, dst + Kp);
      }
      a16.fill(0, mr * Kp, job.rows * Kp); // the tile's padding rows
    });
    job.convertW = false;
    take(new Uint8Array(mem, oOff, job.rows * Np * oBytes), m0, mr, Np);
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
  const { Mc, aOff, oOff, end } = layout(Np * wp * 4, wp * 4, Np * 4, M, 2);
  k.ensureBytes(end);
  const { starts, blocks, t } = plan('xnor', Np, M * N * nBits);
  const job: ColumnJob = {
    kernel: 'xnor', W: t > 1 ? sharedCopy(Wp, N * wpr) : Wp, wT: true, abs: false, K: wpr, N, Np, Kp: wp, starts, rows: 0,
    convertW: true, aOff, wOff: 0, oOff, flushBytes: 0, nBits, mask,
  };
  const mem = k.memory.buffer;
  const a32 = new Uint32Array(mem, aOff, Mc * wp);
  const o32 = new Int32Array(mem, oOff, Mc * Np);
  for (let m0 = 0; m0 < M; m0 += Mc) {
    const mr = Math.min(Mc, M - m0);
    job.rows = up(mr, 2);
    runBlocks(job, blocks, t, () => copyWordRows(a32, Ap, m0, mr, wpr, wp, mask, job.rows));
    job.convertW = false;
    for (let m = 0; m < mr; m++) out.set(o32.subarray(m * Np, m * Np + N), (m0 + m) * N);
  }
}
