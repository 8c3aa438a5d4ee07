/**
 * GEMM kernel benchmark: `npx tsx bench/gemm.bench.ts` (add `--quick` for small shapes, `--threads-only` for
 * only the threads tables).
 *
 * - int8 (and 4-bit values) `gemmInt` (WebAssembly SIMD128) vs ONNX Runtime `MatMulInteger` (int8 x int8
 *   -> int32) on the same operands, both single-threaded (intraOpNumThreads = interOpNumThreads = 1).
 *   ORT has no int4 MatMulInteger, so the 4-bit rows run ORT on the same values stored as int8.
 * - binary `gemmXnor` (i8x16.popcnt) vs a C loop over 64-bit words with `__builtin_popcountll`, compiled
 *   here with `g++ -O3 -march=native`, on the same packed operands (the C program reads them from a file).
 *   Also arith's scalar `xnorDotAt` (32-bit SWAR popcount) for context.
 * Every kernel's result is checked equal to the reference's before timing is reported. Throughput is
 * MAC/s (binary: one MAC per bit), the median of several runs; the ratio is ours / reference. Wall-clock
 * time by default; `--cpu` uses CPU time (process.cpuUsage; the C program CLOCK_PROCESS_CPUTIME_ID), which
 * is steadier when other jobs share the machine.
 * - threads: `gemmInt` 512^3 int8 and `gemmXnor` 1024 x 4096 x 1024 on one thread and on `--threads N`
 *   (default all cores; threads.ts splits output column blocks), results checked identical; wall-clock medians of
 *   both, alternating, their ratio (target >= 1.7x on 2 idle cores), process CPU time per GEMM (all threads,
 *   counted until the helpers have parked again, so their spin after a job is in it: near 1x of the one-thread
 *   CPU time means the work is split, not repeated), and the blocks the helpers ran per GEMM (0: they woke
 *   too late to take part). Each GEMM starts with the helpers parked (the previous run is > 2 ms before).
 * Prints the CPU (model, vector extensions) and the load average first.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { encodeModel, DT } from '../src/model/onnx/proto.js';
import { gemmInt } from '../src/kernels/gemm.js';
import { gemmIntRef } from '../src/kernels/gemm_ref.js';
import { gemmXnor } from '../src/kernels/xnor.js';
import { xnorDotAt } from '../src/arith/binary.js';
import { Rng } from '../src/util/rng.js';
import { awaitKernelHelpers, helperBlocks, MIN_PARALLEL_WORK, setKernelThreads } from '../src/kernels/threads.js';
import { cpuLine } from './cpu.js';

const quick = process.argv.includes('--quick');
process.stdout.write(`${cpuLine()}\nload average at the start: ${loadavg().map((x) => x.toFixed(2)).join(' ')}\n\n`);
/** `--cpu`: time by process CPU time (user + system) instead of wall clock — steadier on a loaded machine. */
const cpuClock = process.argv.includes('--cpu');
const clock = (): number => {
  if (!cpuClock) return Number(process.hrtime.bigint()) / 1e9;
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
};
const REPS = quick ? 3 : 9;
/** Runs per mode in the threads rows: each is short, and a shared machine's noise needs a larger sample. */
const THREAD_REPS = quick ? 5 : 21;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * Median seconds of `a` and of `b`, runs interleaved a, b, a, b, ... so that both see the same machine
 * load (the bench machine is shared); one warm-up run each first.
 */
async function timePair(a: () => unknown, b: () => unknown, reps = REPS): Promise<[number, number]> {
  await a();
  await b();
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < reps; i++) {
    for (const [f, ts] of [[a, ta], [b, tb]] as const) {
      const t0 = clock();
      await f();
      ts.push(clock() - t0);
    }
  }
  return [median(ta), median(tb)];
}

function matMulIntegerModel(M: number, K: number, N: number, aUnsigned: boolean): Uint8Array {
  const vi = (name: string, elem: number, dims: number[]) => ({
    name,
    type: { tensorType: { elemType: elem, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
  });
  return encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'lowbit-bench',
    graph: {
      name: 'mmi',
      node: [{ opType: 'MatMulInteger', input: ['A', 'B'], output: ['Y'], name: 'mmi' }],
      input: [vi('A', aUnsigned ? DT.UINT8 : DT.INT8, [M, K]), vi('B', DT.INT8, [K, N])],
      output: [vi('Y', DT.INT32, [M, N])],
    },
  });
}

interface Row { kernel: string; shape: string; ours: number; ref: number; refName: string }
const rows: Row[] = [];

/**
 * `bits`-bit signed weights and activations; or with `aUnsigned` uint8 activations and 7-bit weights
 * (ORT's U8S8 path; ORT's "reduce_range" convention: with full-range int8 weights its AVX2 kernel's
 * vpmaddubsw saturates 16-bit pair sums and the results are not exact — see `ortU8S8Exactness`).
 */
async function benchInt(bits: number, M: number, K: number, N: number, aUnsigned = false): Promise<void> {
  const rng = new Rng(1000 + bits);
  const lo = -(2 ** (bits - 1));
  const hi = 2 ** (bits - 1) - 1;
  const A = aUnsigned ? Uint8Array.from({ length: M * K }, () => rng.int(0, 255)) : Int8Array.from({ length: M * K }, () => rng.int(lo, hi));
  const W = aUnsigned ? Int8Array.from({ length: K * N }, () => rng.int(-64, 63)) : Int8Array.from({ length: K * N }, () => rng.int(lo, hi));
  const session = await ort.InferenceSession.create(matMulIntegerModel(M, K, N, aUnsigned), {
    intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
  });
  const feeds = { A: new ort.Tensor(aUnsigned ? 'uint8' : 'int8', A, [M, K]), B: new ort.Tensor('int8', W, [K, N]) };
  const out = new Int32Array(M * N);
  const acc = { bits: 32, overflow: 'WRAP' } as const;
  const ortY = (await session.run(feeds)).Y.data as Int32Array;
  gemmInt(A, W, M, K, N, acc, out);
  for (let i = 0; i < M * N; i++) if (out[i] !== ortY[i]) throw new Error(`${aUnsigned ? 'u8' : 'int'}${bits} ${M}x${K}x${N}: gemmInt differs from ORT at ${i}`);
  const [tOurs, tOrt] = await timePair(() => gemmInt(A, W, M, K, N, acc, out), () => session.run(feeds));
  const macs = M * K * N;
  rows.push({
    kernel: aUnsigned ? 'u8 x s7 gemmInt' : `int${bits} gemmInt`, shape: `${M}x${K}x${N}`, ours: macs / tOurs, ref: macs / tOrt,
    refName: aUnsigned ? 'ORT MatMulInteger (uint8 x int8, 7-bit values)' : 'ORT MatMulInteger (int8 x int8)',
  });
  await session.release();
}

/** How many of ORT's uint8 x int8 outputs differ from the exact sums when the weights use the full int8 range. */
async function ortU8S8Exactness(M: number, K: number, N: number): Promise<string> {
  const rng = new Rng(99);
  const A = Uint8Array.from({ length: M * K }, () => rng.int(0, 255));
  const W = Int8Array.from({ length: K * N }, () => rng.int(-128, 127));
  const session = await ort.InferenceSession.create(matMulIntegerModel(M, K, N, true), { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const y = (await session.run({ A: new ort.Tensor('uint8', A, [M, K]), B: new ort.Tensor('int8', W, [K, N]) })).Y.data as Int32Array;
  await session.release();
  const ours = gemmInt(A, W, M, K, N, { bits: 32, overflow: 'WRAP' }, new Int32Array(M * N)) as Int32Array;
  const ref = gemmIntRef(A, W, M, K, N, { bits: 32, overflow: 'WRAP' }, new Int32Array(M * N)) as Int32Array;
  let dOrt = 0;
  let dOurs = 0;
  for (let i = 0; i < M * N; i++) {
    if (y[i] !== ref[i]) dOrt++;
    if (ours[i] !== ref[i]) dOurs++;
  }
  return `full-range uint8 x int8, ${M}x${K}x${N}: ORT MatMulInteger differs from the exact sums on ${dOrt} of ${M * N} outputs; gemmInt on ${dOurs}`;
}

const C_SRC = `
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <time.h>
// usage: xnor FILE M N nBits reps [cpu] — FILE holds A (M rows) then W (N rows), each row wpr uint32 words, nBits % 64 == 0
static clockid_t clk = CLOCK_MONOTONIC;
static double now(void) { struct timespec t; clock_gettime(clk, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static int cmp(const void* a, const void* b) { double x = *(const double*)a, y = *(const double*)b; return (x > y) - (x < y); }
int main(int argc, char** argv) {
  int M = atoi(argv[2]), N = atoi(argv[3]), n = atoi(argv[4]), reps = atoi(argv[5]);
  if (argc > 6) clk = CLOCK_PROCESS_CPUTIME_ID;
  int w64 = n / 64;
  uint64_t* a = (uint64_t*)malloc(sizeof(uint64_t) * (size_t)M * w64);
  uint64_t* w = (uint64_t*)malloc(sizeof(uint64_t) * (size_t)N * w64);
  int32_t* y = (int32_t*)malloc(sizeof(int32_t) * (size_t)M * N);
  FILE* f = fopen(argv[1], "rb");
  if (fread(a, 8, (size_t)M * w64, f) != (size_t)M * w64 || fread(w, 8, (size_t)N * w64, f) != (size_t)N * w64) return 2;
  fclose(f);
  double ts[64];
  for (int r = 0; r <= reps; r++) {
    double t0 = now();
    for (int i = 0; i < M; i++)
      for (int j = 0; j < N; j++) {
        const uint64_t* p = a + (size_t)i * w64; const uint64_t* q = w + (size_t)j * w64;
        int d = 0;
        for (int k = 0; k < w64; k++) d += __builtin_popcountll(p[k] ^ q[k]);
        y[(size_t)i * N + j] = n - 2 * d;
      }
    if (r > 0) ts[r - 1] = now() - t0;
  }
  qsort(ts, reps, sizeof(double), cmp);
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < (size_t)M * N; i++) { h ^= (uint32_t)y[i]; h *= 16777619u; }
  printf("%.9f %u\\n", ts[reps / 2], h);
  return 0;
}
`;

function hashY(y: Int32Array): number {
  let h = 2166136261;
  for (let i = 0; i < y.length; i++) h = Math.imul(h ^ y[i], 16777619) >>> 0;
  return h >>> 0;
}

async function benchXnor(exe: string, dir: string, M: number, N: number, nBits: number): Promise<void> {
  const rng = new Rng(77);
  const wpr = nBits / 32;
  const Ap = Uint32Array.from({ length: M * wpr }, () => rng.u32());
  const Wp = Uint32Array.from({ length: N * wpr }, () => rng.u32());
  const file = join(dir, `xnor_${M}_${N}_${nBits}.bin`);
  const buf = new Uint8Array((Ap.length + Wp.length) * 4);
  buf.set(new Uint8Array(Ap.buffer), 0);
  buf.set(new Uint8Array(Wp.buffer), Ap.byteLength);
  writeFileSync(file, buf);
  const runC = (): number[] => execFileSync(exe, [file, String(M), String(N), String(nBits), '1', ...(cpuClock ? ['cpu'] : [])], { encoding: 'utf8' }).trim().split(' ').map(Number);
  const hC = runC()[1];
  let tC = 0;
  const out = new Int32Array(M * N);
  gemmXnor(Ap, Wp, M, N, nBits, out);
  if (hashY(out) !== hC) throw new Error(`xnor ${M}x${N}x${nBits}: gemmXnor differs from the C loop`);
  // the C program times one run of its loop (after a warm-up run) and prints it; interleave with ours
  const cTimes: number[] = [];
  const [tOurs] = await timePair(() => gemmXnor(Ap, Wp, M, N, nBits, out), () => cTimes.push(runC()[0]));
  tC = median(cTimes);
  const swar = (): void => {
    for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) out[m * N + n] = xnorDotAt(Ap, m * wpr, Wp, n * wpr, nBits);
  };
  swar();
  if (hashY(out) !== hC) throw new Error('xnorDotAt differs from the C loop');
  const [tSwar] = await timePair(swar, () => undefined, 3);
  const macs = M * N * nBits;
  rows.push({ kernel: 'binary gemmXnor', shape: `${M}x${nBits}x${N}`, ours: macs / tOurs, ref: macs / tC, refName: 'C __builtin_popcountll -O3 -march=native' });
  rows.push({ kernel: 'binary arith xnorDotAt', shape: `${M}x${nBits}x${N}`, ours: macs / tSwar, ref: macs / tC, refName: 'C __builtin_popcountll -O3 -march=native' });
}

// --threads-only: only the threads tables (no ONNX Runtime / C references)
const threadsOnly = process.argv.includes('--threads-only');
const intShapes: [number, number, number][] = threadsOnly ? [] : quick ? [[64, 256, 64]] : [[64, 784, 256], [256, 1024, 256], [512, 512, 512], [1000, 784, 256]];
for (const [M, K, N] of intShapes) {
  await benchInt(8, M, K, N);
  await benchInt(4, M, K, N);
  await benchInt(8, M, K, N, true);
}
const dir = mkdtempSync(join(tmpdir(), 'lowbit-bench-'));
const exe = join(dir, 'xnor');
writeFileSync(join(dir, 'xnor.cpp'), C_SRC);
execFileSync('g++', ['-O3', '-march=native', '-o', exe, join(dir, 'xnor.cpp')]);
const xShapes: [number, number, number][] = threadsOnly ? [] : quick ? [[64, 64, 1024]] : [[256, 256, 1024], [1000, 1024, 832], [64, 64, 8192]];
for (const [M, N, nBits] of xShapes) await benchXnor(exe, dir, M, N, nBits);

/** Blocks the calling thread for `ms` (the helpers, parked after their spin, use no CPU meanwhile). */
const sleepSync = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * One-thread vs `threads` medians (wall and CPU) of `run`, alternating after 3 warm-up runs each; checks both
 * give the same output. CPU time is read 3 ms after the run (past the helpers' spin), wall time right after it.
 */
function benchThreads(label: string, shape: string, macs: number, threads: number, run: () => Int32Array, minWork?: number): string {
  const wall = (): number => Number(process.hrtime.bigint()) / 1e9;
  const cpu = (): number => {
    const c = process.cpuUsage();
    return (c.user + c.system) / 1e6;
  };
  const t: Record<'one' | 'many', { w: number[]; c: number[]; y?: Int32Array }> = { one: { w: [], c: [] }, many: { w: [], c: [] } };
  const helped0 = helperBlocks();
  for (let i = -3; i < THREAD_REPS; i++) {
    for (const k of ['one', 'many'] as const) {
      setKernelThreads(k === 'one' ? 1 : threads, { minWork });
      const [w0, c0] = [wall(), cpu()];
      const y = run();
      const w1 = wall();
      sleepSync(3);
      const c1 = cpu();
      if (i < 0) t[k].y = y.slice(); // the first warm-up run starts the helper threads
      if (i === -3 && k === 'many') awaitKernelHelpers(); // they take part from the next run on
      else {
        t[k].w.push(w1 - w0);
        t[k].c.push(c1 - c0);
      }
    }
  }
  setKernelThreads(1);
  if (hashY(t.one.y!) !== hashY(t.many.y!)) throw new Error(`${label} ${shape}: ${threads} threads differ from one thread`);
  const helped = (helperBlocks() - helped0) / (THREAD_REPS + 3);
  const [w1, wn, c1, cn] = [median(t.one.w), median(t.many.w), median(t.one.c), median(t.many.c)];
  return `${label.padEnd(16)} ${shape.padEnd(16)} ${(macs / w1 / 1e9).toFixed(2).padStart(8)} ${(macs / wn / 1e9).toFixed(2).padStart(8)} ${(w1 / wn).toFixed(2).padStart(6)}x ${(c1 * 1e3).toFixed(1).padStart(9)} ${(cn * 1e3).toFixed(1).padStart(9)} ${(cn / c1).toFixed(2).padStart(6)}x ${helped.toFixed(1).padStart(8)}`;
}

const ti = process.argv.indexOf('--threads');
const THREADS = ti >= 0 ? Number(process.argv[ti + 1]) : availableParallelism();
const threadRows: string[] = [];
{
  const rng = new Rng(5);
  const [M, K, N] = quick ? [256, 256, 256] : [512, 512, 512];
  const A = Int8Array.from({ length: M * K }, () => rng.int(-128, 127));
  const W = Int8Array.from({ length: K * N }, () => rng.int(-128, 127));
  const out = new Int32Array(M * N);
  threadRows.push(benchThreads('int8 gemmInt', `${M}x${K}x${N}`, M * K * N, THREADS, () => gemmInt(A, W, M, K, N, { bits: 32, overflow: 'WRAP' }, out) as Int32Array));
  const [xm, xb, xn] = quick ? [128, 1024, 128] : [1024, 4096, 1024];
  const Ap = Uint32Array.from({ length: (xm * xb) / 32 }, () => rng.u32());
  const Wp = Uint32Array.from({ length: (xn * xb) / 32 }, () => rng.u32());
  const xo = new Int32Array(xm * xn);
  threadRows.push(benchThreads('binary gemmXnor', `${xm}x${xb}x${xn}`, xm * xn * xb, THREADS, () => gemmXnor(Ap, Wp, xm, xn, xb, xo)));
}
// the split thresholds (MIN_PARALLEL_WORK, per kernel): GEMMs of 2^16 to 2^24 multiply-adds (binary: to
// 2^28 bit-MACs, each far cheaper) forced to split
const thresholdRows: string[] = [];
for (const e of quick ? [16, 20] : [16, 18, 20, 22, 24, 26, 28]) {
  const rng = new Rng(e);
  if (e <= 24) {
    const K = 2 ** Math.floor(e / 3);
    const M = 2 ** Math.ceil((e - Math.log2(K)) / 2);
    const N = 2 ** e / (M * K);
    const A = Int8Array.from({ length: M * K }, () => rng.int(-128, 127));
    const W = Int8Array.from({ length: K * N }, () => rng.int(-128, 127));
    const out = new Int32Array(M * N);
    thresholdRows.push(benchThreads('int8 gemmInt', `${M}x${K}x${N}`, M * K * N, THREADS, () => gemmInt(A, W, M, K, N, { bits: 32, overflow: 'WRAP' }, out) as Int32Array, 0));
  }
  const xm = 2 ** Math.floor((e - 10) / 2); // rows of 1024 bits and more (a LFC layer's)
  const [xn, bits] = [xm, 2 ** e / (xm * xm)];
  const Ap = Uint32Array.from({ length: (xm * bits) / 32 }, () => rng.u32());
  const Wp = Uint32Array.from({ length: (xn * bits) / 32 }, () => rng.u32());
  const xo = new Int32Array(xm * xn);
  thresholdRows.push(benchThreads('binary gemmXnor', `${xm}x${bits}x${xn}`, xm * xn * bits, THREADS, () => gemmXnor(Ap, Wp, xm, xn, bits, xo), 0));
}

if (!threadsOnly) {
  const note = await ortU8S8Exactness(16, 256, 16);
  const g = (x: number): string => (x / 1e9).toFixed(2).padStart(8);
  process.stdout.write(`GEMM kernels, single thread, median of ${REPS} runs by ${cpuClock ? 'CPU' : 'wall-clock'} time (GMAC/s; binary: G bit-MAC/s)\n`);
  process.stdout.write(`${'kernel'.padEnd(24)} ${'M x K x N'.padEnd(16)} ${'ours'.padStart(8)} ${'ref'.padStart(8)} ${'ratio'.padStart(7)}  reference\n`);
  for (const r of rows) {
    process.stdout.write(`${r.kernel.padEnd(24)} ${r.shape.padEnd(16)} ${g(r.ours)} ${g(r.ref)} ${(r.ours / r.ref).toFixed(3).padStart(7)}  ${r.refName}\n`);
  }
  process.stdout.write(`note: ${note}\n`);
}
process.stdout.write(`\nthreads: 1 vs ${THREADS} (--threads), median of ${THREAD_REPS} alternating runs; GMAC/s by wall clock, CPU ms per GEMM (all threads), blocks the helpers ran per GEMM\n`);
process.stdout.write(`${'kernel'.padEnd(16)} ${'M x K x N'.padEnd(16)} ${'1 thr'.padStart(8)} ${`${THREADS} thr`.padStart(8)} ${'speedup'.padStart(7)} ${'CPU 1'.padStart(9)} ${`CPU ${THREADS}`.padStart(9)} ${'CPU x'.padStart(7)} ${'helped'.padStart(8)}\n`);
for (const r of threadRows) process.stdout.write(`${r}\n`);
process.stdout.write(`\nsplit threshold: the same, every GEMM split (minWork 0; the defaults split int8 from 2^${Math.log2(MIN_PARALLEL_WORK.int)} multiply-adds, binary from 2^${Math.log2(MIN_PARALLEL_WORK.xnor)} bit-MACs)\n`);
for (const r of thresholdRows) process.stdout.write(`${r}\n`);
process.stdout.write(`\nload average at the end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);
