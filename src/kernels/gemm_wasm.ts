/**
 * JS side of the WebAssembly kernels in gemm_wat.ts: one lazily created instance per thread, all over one
 * shared memory (the helper threads of threads.ts instantiate over the calling thread's). The calling
 * thread stages the operands into the memory as they are (8-bit typed arrays copied byte for byte, others
 * converted to int16: `stageOperand`); the kernels' zero-padded i16 rows are made from the staged copies
 * in wasm (`widen_rows`, `pack_wt`). Large M is processed in row chunks so the memory stays below ~256
 * MiB. Per row chunk the calling thread widens its rows of A, then the output columns are cut into
 * blocks (`ColumnJob`, guided sizes): a block packs its rows of the transposed W (on the first chunk)
 * and runs the kernel for those columns of every row of the chunk (the kernels' `ldo` is the padded row
 * length). Large GEMMs run their blocks on the kernel threads (threads.ts); the calling thread then reads
 * the whole output.
 */
import { GEMM_WASM_BASE64, OPERAND_CODE } from './gemm_wat.js';
import { parallelBlocks, threadsFor, kernelThreads, type KernelKind } from './threads.js';
import { instantiateWasmSync, sharedWasmMemory, type WasmKernel, type WasmMemory } from './wasm.js';

interface GemmExports {
  gemm_i16(a: number, w: number, out: number, M: number, N: number, K: number, ldo: number, bias: number): void;
  gemm_i16_i64(a: number, w: number, out: number, M: number, N: number, K: number, B: number, ldo: number): void;
  xnor(a: number, w: number, out: number, M: number, N: number, bytes: number, nBits: number, ldo: number): void;
  widen_rows(src: number, dst: number, rows: number, K: number, Kp: number, srcRow: number, code: number): void;
  pack_wt(src: number, dst: number, K: number, N: number, count: number, Kp: number, code: number): void;
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

type OperandCode = (typeof OPERAND_CODE)[keyof typeof OPERAND_CODE];

/** How `x` is staged: int8 / uint8 typed arrays as they are (|x| of uint8 is x), everything else as int16. */
function operandCode(x: ArrayLike<number>, abs: boolean): OperandCode {
  if (x instanceof Uint8Array) return OPERAND_CODE.uint8;
  return x instanceof Int8Array && !abs ? OPERAND_CODE.int8 : OPERAND_CODE.int16;
}
const codeBytes = (code: OperandCode): number => (code === OPERAND_CODE.int16 ? 2 : 1);

/**
 * `x[from..from+len)` into the memory at byte `at` as `code` says (`operandCode`): 8-bit typed arrays with
 * one byte copy, typed arrays with one converting `set`, plain arrays (and |x|) value by value. Operands
 * are integers in [-32767, 32767] (the caller checks).
 */
function stageOperand(x: ArrayLike<number>, from: number, len: number, abs: boolean, code: OperandCode, at: number): void {
  const mem = instance().memory.buffer;
  if (code !== OPERAND_CODE.int16) {
    new Uint8Array(mem, at, len).set(new Uint8Array((x as Uint8Array).buffer, (x as Uint8Array).byteOffset + from, len));
    return;
  }
  const d = new Int16Array(mem, at, len);
  if (abs) for (let i = 0; i < len; i++) d[i] = Math.abs(x[from + i]!);
  else if (ArrayBuffer.isView(x) && !(x instanceof DataView)) d.set((x as Int16Array).subarray(from, from + len));
  else for (let i = 0; i < len; i++) d[i] = x[from + i]!;
}

let chunkBytes = 256 * 1024 * 1024;
/** The memory budget of one row chunk (default 256 MiB); tests lower it to exercise several chunks. */
export function setChunkBytes(bytes = 256 * 1024 * 1024): void {
  chunkBytes = bytes;
}
const up = (x: number, m: number): number => Math.ceil(x / m) * m;

/** Fewest columns in a block. */
const MIN_BLOCK_COLUMNS = 8;

/** The kernels a column block can run. */
const KERNEL = { i16: 0, i16_i64: 1, xnor: 2 } as const;

/**
 * One GEMM row chunk's column blocks, as any thread runs them (`runColumnBlock`): where the operands are in
 * the shared memory and how W's rows are packed. Numbers only: helpers get them as `columnJob(args)`.
 */
export interface ColumnJob {
  kernel: (typeof KERNEL)[keyof typeof KERNEL];
  /** the threads the blocks were cut for (`columnBlocks`) */
  threads: number;
  /** gemm_i16: the output's initial values (byte address of Np i32) */
  bias: number;
  /** the staged W (byte address): i16 kernels K x N values (N x K with `wT`) of type `wCode` */
  wStaged: number;
  wCode: OperandCode;
  /** 1: W is given N x K (its rows are the transposed W's rows), 0: K x N */
  wT: number;
  /** the reduction length of a row of W: i16 values, xnor 32-bit words */
  K: number;
  N: number;
  /** padded output columns: the output's row stride */
  Np: number;
  /** padded reduction length in the memory: i16 values (a multiple of 8), xnor words (a multiple of 4) */
  Kp: number;
  /** padded rows of this chunk (the kernel's M) */
  rows: number;
  /** whether the blocks pack their rows of W (the first chunk; later chunks reuse them; xnor: never) */
  packW: number;
  aOff: number;
  wOff: number;
  oOff: number;
  /** gemm_i16_i64: bytes of k between flushes of the i32 lanes */
  flushBytes: number;
  /** xnor: the row length in bits */
  nBits: number;
}
const JOB_FIELDS = ['kernel', 'threads', 'bias', 'wStaged', 'wCode', 'wT', 'K', 'N', 'Np', 'Kp', 'rows', 'packW', 'aOff', 'wOff', 'oOff', 'flushBytes', 'nBits'] as const;
/** A job with its blocks' first columns, then Np (block b covers output columns [starts[b], starts[b + 1])). */
type PlannedJob = ColumnJob & { starts: number[] };

/** A job from its numbers (what the calling thread posts: `JOB_FIELDS` in order). */
export function columnJob(args: ArrayLike<number>): PlannedJob {
  const j = Object.fromEntries(JOB_FIELDS.map((f, i) => [f, args[i]!])) as unknown as ColumnJob;
  return { ...j, starts: columnBlocks(j.Np, j.threads) };
}

/**
 * Column blocks for Np padded columns on t threads, as `starts` (first columns, then Np): one block on one
 * thread; else guided: each block 1/(2t) of the columns still left (even, at least MIN_BLOCK_COLUMNS), so
 * the first blocks are large and the last small, and the thread that finishes first waits at most one
 * small block for the others.
 */
function columnBlocks(Np: number, t: number): number[] {
  if (t === 1) return [0, Np];
  const starts = [0];
  for (let n = 0; n < Np;) {
    n = Math.min(Np, n + Math.max(MIN_BLOCK_COLUMNS, up(Math.ceil((Np - n) / (2 * t)), 2)));
    starts.push(n);
  }
  return starts;
}

/** The threads for a `kind` GEMM of `work` over Np padded columns (at most one per block of all threads'). */
function threadsOver(kind: KernelKind, Np: number, work: number): number {
  return threadsFor(kind, columnBlocks(Np, kernelThreads()).length - 1, work);
}

/** `prepare()` (the row chunk's operands), then every block of `job`, on the kernel threads when it has several. */
function runBlocks(job: PlannedJob, prepare: () => void): void {
  const blocks = job.starts.length - 1;
  if (job.threads > 1) {
    const { module, memory } = instance();
    return parallelBlocks(job.threads, blocks, JOB_FIELDS.map((f) => job[f]), { module, memory } satisfies GemmShared, prepare, (b) => runColumnBlock(job, b));
  }
  prepare();
  for (let b = 0; b < blocks; b++) runColumnBlock(job, b);
}

/** Block b of a row chunk: its rows of the transposed W packed (zero-padded), then the kernel on them. */
export function runColumnBlock(j: PlannedJob, b: number): void {
  const k = instance();
  const n0 = j.starts[b]!;
  const nc = j.starts[b + 1]! - n0;
  if (j.kernel === KERNEL.xnor) {
    k.exports.xnor(j.aOff, j.wOff + n0 * j.Kp * 4, j.oOff + n0 * 4, j.rows, nc, j.Kp * 4, j.nBits, j.Np);
    return;
  }
  const wOff = j.wOff + n0 * j.Kp * 2;
  if (j.packW) {
    const nReal = Math.max(0, Math.min(j.N, n0 + nc) - n0);
    const es = codeBytes(j.wCode);
    if (j.wT) k.exports.widen_rows(j.wStaged + n0 * j.K * es, wOff, nReal, j.K, j.Kp, j.K * es, j.wCode);
    else k.exports.pack_wt(j.wStaged + n0 * es, wOff, j.K, j.N, nReal, j.Kp, j.wCode);
    new Int16Array(k.memory.buffer, wOff + nReal * j.Kp * 2, (nc - nReal) * j.Kp).fill(0); // padding columns
  }
  if (j.kernel === KERNEL.i16) k.exports.gemm_i16(j.aOff, wOff, j.oOff + n0 * 4, j.rows, nc, j.Kp, j.Np, j.bias + n0 * 4);
  else k.exports.gemm_i16_i64(j.aOff, wOff, j.oOff + n0 * 8, j.rows, nc, j.Kp, Math.min(j.flushBytes, 2 * j.Kp), j.Np);
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
  run(A, W, M, K, N, abs, wT, 0, acc0, (o, m0, mr, Np) => {
    const o32 = new Int32Array(o.buffer, o.byteOffset, mr * Np);
    if (Np === N) return S.set(o32, m0 * N); // the rows are contiguous: one copy
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
  run(A, W, M, K, N, abs, wT, steps * 16, undefined, (o, m0, mr, Np) => {
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
 * Regions of a GEMM in the memory, each 64-byte aligned: `fixed` bytes (W's padded rows, then its staged
 * copy), then for a chunk of Mc rows each of `perRow` bytes per row (A's padded rows, its output, A's
 * staged rows). Mc: as many rows (a multiple of tileM) as fit the chunk budget, at least tileM.
 */
function layout(fixed: number[], perRow: number[], M: number, tileM: number): { Mc: number; at: number[]; end: number } {
  const fixedBytes = fixed.reduce((a, b) => a + up(b, 64), 0);
  const rowBytes = perRow.reduce((a, b) => a + b, 0);
  const rows = Math.max(tileM, Math.floor(Math.max(0, chunkBytes - fixedBytes) / Math.max(1, rowBytes) / tileM) * tileM);
  const Mc = Math.min(up(M, tileM), rows);
  const at: number[] = [];
  let end = 0;
  for (const bytes of [...fixed, ...perRow.map((b) => b * Mc)]) {
    at.push(end);
    end = up(end + bytes, 64);
  }
  return { Mc, at, end };
}

/**
 * Stages chunks of A (and W and `acc0`, with the first) into the wasm memory, widens A's rows to
 * zero-padded i16 and runs the column blocks of `gemm_i16` (flushBytes 0: i32 out starting at acc0, 4 x 2
 * tiles) or `gemm_i16_i64` (i64 out, 2 x 2 tiles, no acc0) on them; `take` reads each chunk's padded M x Np
 * output (a view into the wasm memory) before the next chunk overwrites it.
 */
function run(
  A: ArrayLike<number>, W: ArrayLike<number>, M: number, K: number, N: number, abs: boolean, wT: boolean,
  flushBytes: number, acc0: Int32Array | undefined, take: (out: Uint8Array, m0: number, rows: number, Np: number) => void,
): void {
  if (M === 0 || N === 0 || K === 0) return;
  const k = instance();
  const wide = flushBytes > 0;
  const tileM = wide ? 2 : 4;
  const oBytes = wide ? 8 : 4;
  const Kp = up(K, 8);
  const Np = up(N, 2);
  const [aCode, wCode] = [operandCode(A, abs), operandCode(W, abs)];
  const aEs = codeBytes(aCode);
  const { Mc, at: [wOff, wStaged, bias, aOff, oOff, aStaged], end } = layout([Np * Kp * 2, K * N * codeBytes(wCode), Np * 4], [Kp * 2, Np * oBytes, K * aEs], M, tileM);
  k.ensureBytes(end);
  const t = threadsOver('int', Np, M * K * N);
  const job: PlannedJob = {
    kernel: wide ? KERNEL.i16_i64 : KERNEL.i16, threads: t, bias: bias!, wStaged: wStaged!, wCode, wT: wT ? 1 : 0, K, N, Np, Kp, rows: 0,
    packW: 1, aOff: aOff!, wOff: wOff!, oOff: oOff!, flushBytes, nBits: 0, starts: columnBlocks(Np, t),
  };
  for (let m0 = 0; m0 < M; m0 += Mc) {
    const mr = Math.min(Mc, M - m0);
    job.rows = up(mr, tileM);
    runBlocks(job, () => {
      if (m0 === 0) {
        stageOperand(W, 0, K * N, abs, wCode, job.wStaged);
        const b = new Int32Array(k.memory.buffer, job.bias, Np).fill(0);
        if (acc0 !== undefined) b.set(acc0.subarray(0, N));
      }
      stageOperand(A, m0 * K, mr * K, abs, aCode, aStaged!);
      k.exports.widen_rows(aStaged!, job.aOff, mr, K, Kp, K * aEs, aCode);
      new Int16Array(k.memory.buffer, job.aOff + mr * Kp * 2, (job.rows - mr) * Kp).fill(0); // the tile's padding rows
    });
    job.packW = 0;
    take(new Uint8Array(k.memory.buffer, job.oOff, job.rows * Np * oBytes), m0, mr, Np);
  }
}

/**
 * Binary GEMM in wasm (see gemm_wat.ts `xnor`): rows of `wpr` words copied to rows of a multiple of 4
 * words, the last valid word masked so padding bits are zero on both sides (W's rows by the calling
 * thread, with the first chunk of A's). `nBits` <= 4095 * 128.
 */
export function wasmXnor(Ap: Uint32Array, Wp: Uint32Array, M: number, N: number, nBits: number, wpr: number, out: Int32Array): void {
  if (M === 0 || N === 0) return;
  const k = instance();
  const wp = Math.max(4, up(wpr, 4));
  const Np = up(N, 2);
  const rest = nBits & 31;
  const mask = rest === 0 ? 0xffffffff : (2 ** rest - 1) >>> 0;
  const { Mc, at: [wOff, aOff, oOff], end } = layout([Np * wp * 4], [wp * 4, Np * 4], M, 2);
  k.ensureBytes(end);
  const t = threadsOver('xnor', Np, M * N * nBits);
  const job: PlannedJob = {
    kernel: KERNEL.xnor, threads: t, bias: 0, wStaged: 0, wCode: OPERAND_CODE.int8, wT: 1, K: wpr, N, Np, Kp: wp, rows: 0, packW: 0,
    aOff: aOff!, wOff: wOff!, oOff: oOff!, flushBytes: 0, nBits, starts: columnBlocks(Np, t),
  };
  const mem = k.memory.buffer;
  const a32 = new Uint32Array(mem, job.aOff, Mc * wp);
  const o32 = new Int32Array(mem, job.oOff, Mc * Np);
  for (let m0 = 0; m0 < M; m0 += Mc) {
    const mr = Math.min(Mc, M - m0);
    job.rows = up(mr, 2);
    runBlocks(job, () => {
      if (m0 === 0) copyWordRows(new Uint32Array(mem, job.wOff, Np * wp), Wp, 0, N, wpr, wp, mask, Np);
      copyWordRows(a32, Ap, m0, mr, wpr, wp, mask, job.rows);
    });
    if (Np === N) out.set(o32.subarray(0, mr * N), m0 * N); // the rows are contiguous: one copy
    else for (let m = 0; m < mr; m++) out.set(o32.subarray(m * Np, m * Np + N), (m0 + m) * N);
  }
}
