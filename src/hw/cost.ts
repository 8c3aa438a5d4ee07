/**
 * Analytic cost model of one GEMM `Y = A W` (A: M x K, W: K x N) on the Design's R x C systolic array.
 * O(1) in the GEMM size. The cycle count is EXACTLY what the cycle-stepped model (`gemm_schedule.ts` over
 * `mac_array.ts`) counts — the tests prove it on random shapes; see docs/mac_array.md for the derivation.
 *
 * Cycles (the count runs to the cycle in which the last result row is on y_o, inclusive):
 *   os: F = ceil(M/R) * ceil(N/C) folds, one every K + R cycles (K beats, then R idle: the drain rule);
 *       cycles = (F - 1)(K + R) + K + 2R + C - 1
 *   ws: S = M stream beats, T = ceil(N/C) tiles, KF = ceil(K/R) k-folds per tile;
 *   is: S = N, T = ceil(M/C), KF = ceil(K/R);
 *       consecutive folds of one tile start R + max(S, C - 1) cycles apart (the partial sums of row s
 *       leave y_o R + C - 1 cycles after beat s entered), folds of a new tile R + S apart:
 *       cycles = R + T(KF - 1)(R + max(S, C - 1)) + (T - 1)(R + S) + S + R + C - 1
 * Utilization = M K N / (R C cycles).
 *
 * On-chip buffer traffic (elements actually read/written, padding excluded):
 *   os: A read ceil(N/C) times, W read ceil(M/R) times, Y written once.
 *   ws: W read once, A read ceil(N/C) times, Y written KF times and read back KF - 1 times (partials).
 *   is: A read once, W read ceil(M/C) times, Y written KF times and read back KF - 1 times.
 * Off-chip reuse model: an operand whose whole matrix fits its on-chip buffer (at its Design width, bit
 * packed) is fetched once; otherwise every on-chip read of it is a fetch. Y leaves once at the width of the
 * result register (ceil(AccBits/8) bytes; `accumulator.chunk.wideBits` when accumulation is chunked); in ws/is the partial sums of a tile (S x C accumulators) stay on chip when
 * they fit the output buffer, else each partial is written out and read back. DMA is assumed to overlap
 * compute: latency = max(cycles, offchip bytes / bytes per cycle) / clock.
 */
import { formatBits } from '../arith/format.js';
import { accOutBits } from '../kernels/gemm_ref.js';
import type { Design } from './design.js';
import { checkInt } from '../util/errors.js';

export interface GemmCost {
  dataflow: Design['array']['dataflow'];
  rows: number;
  cols: number;
  M: number;
  K: number;
  N: number;
  folds: number;
  /** exact cycle count of the cycle-stepped model */
  cycles: number;
  /** useful multiply-accumulates, M K N */
  macs: number;
  /** macs / (R C cycles) */
  utilization: number;
  /** on-chip buffer element accesses */
  buffers: { weightReads: number; activationReads: number; outputReads: number; outputWrites: number };
  offchip: {
    weightBytes: number;
    activationBytes: number;
    outputBytes: number;
    totalBytes: number;
    cycles: number;
    weightsFit: boolean;
    activationsFit: boolean;
    partialsFit: boolean;
  };
  boundBy: 'compute' | 'memory';
  computeLatencySeconds: number;
  /** max(compute, off-chip) cycles at the clock */
  latencySeconds: number;
  macsPerSecond: number;
  gemmsPerSecond: number;
  /** operands and result in the Design's formats vs FP32 */
  footprint: { activationBytes: number; weightBytes: number; outputBytes: number; totalBytes: number; fp32Bytes: number; ratio: number };
}

const cdiv = (a: number, b: number): number => Math.ceil(a / b);

/**
 * Output-stationary folds on an R x C array: F folds of K beats, one fold every K + R cycles (K beats,
 * then R idle: the drain rule); the cycles from the first beat to the cycle in which the last result row
 * is on y_o, inclusive: (F - 1)(K + R) + K + 2R + C - 1. The one formula of the os array's timing, used
 * by `gemmCycles` and the accelerator's `layerCycles`.
 *
 * With P > 1 passes per fold (the accelerator's per-group weight scales: each weight group's partial sum
 * drains on its own), a fold is P passes of its K beats, each pass followed by the R idle cycles of the
 * drain rule, so every fold takes (P - 1) R cycles more: (F - 1)(K + R) + K + 2R + C - 1 + F (P - 1) R
 * = F (K + P R) + R + C - 1.
 */
export function osFoldCycles(R: number, C: number, F: number, K: number, P = 1): number {
  return (F - 1) * (K + R) + K + 2 * R + C - 1 + F * (P - 1) * R;
}

/** The exact cycle count and fold count of the cycle-stepped model (see the file header). */
export function gemmCycles(design: Design, M: number, K: number, N: number): { cycles: number; folds: number } {
  const R = design.array.rows;
  const C = design.array.cols;
  if (design.array.dataflow === 'os') {
    const F = cdiv(M, R) * cdiv(N, C);
    return { cycles: osFoldCycles(R, C, F, K), folds: F };
  }
  const ws = design.array.dataflow === 'ws';
  const S = ws ? M : N;
  const T = cdiv(ws ? N : M, C);
  const KF = cdiv(K, R);
  const cycles = R + T * (KF - 1) * (R + Math.max(S, C - 1)) + (T - 1) * (R + S) + S + R + C - 1;
  return { cycles, folds: T * KF };
}

/** The full cost estimate of one GEMM (see the file header for every formula). */
export function estimateGemm(design: Design, M: number, K: number, N: number): GemmCost {
  checkInt('M', M, 1, 2 ** 31);
  checkInt('K', K, 1, 2 ** 31);
  checkInt('N', N, 1, 2 ** 31);
  const R = design.array.rows;
  const C = design.array.cols;
  const df = design.array.dataflow;
  const { cycles, folds } = gemmCycles(design, M, K, N);
  const macs = M * K * N;
  const KF = cdiv(K, R);
  let weightReads: number, activationReads: number, outputReads: number, outputWrites: number;
  let partialBytes = 0; // on-chip partial-sum working set
  const accBytes = Math.ceil(accOutBits(design.accumulator) / 8);
  if (df === 'os') {
    activationReads = cdiv(N, C) * M * K;
    weightReads = cdiv(M, R) * K * N;
    outputReads = 0;
    outputWrites = M * N;
  } else {
    outputWrites = KF * M * N;
    outputReads = (KF - 1) * M * N;
    if (df === 'ws') {
      weightReads = K * N;
      activationReads = cdiv(N, C) * M * K;
      partialBytes = KF > 1 ? M * C * accBytes : 0;
    } else {
      activationReads = M * K;
      weightReads = cdiv(M, C) * K * N;
      partialBytes = KF > 1 ? N * C * accBytes : 0;
    }
  }
  const aBits = formatBits(design.activation);
  const wBits = formatBits(design.weight);
  const aBytes = Math.ceil((M * K * aBits) / 8);
  const wBytes = Math.ceil((K * N * wBits) / 8);
  const yBytes = M * N * accBytes;
  const activationsFit = aBytes <= design.buffers.activationBytes;
  const weightsFit = wBytes <= design.buffers.weightBytes;
  const partialsFit = partialBytes <= design.buffers.outputBytes;
  const offA = activationsFit ? aBytes : Math.ceil((activationReads * aBits) / 8);
  const offW = weightsFit ? wBytes : Math.ceil((weightReads * wBits) / 8);
  const offY = yBytes + (partialsFit ? 0 : 2 * (KF - 1) * M * N * accBytes);
  const totalBytes = offA + offW + offY;
  const offCycles = totalBytes / design.offchipBytesPerCycle;
  const hz = design.clockMHz * 1e6;
  const bound = Math.max(cycles, offCycles);
  const latencySeconds = bound / hz;
  const fp32Bytes = 4 * (M * K + K * N + M * N);
  const total = aBytes + wBytes + yBytes;
  return {
    dataflow: df, rows: R, cols: C, M, K, N, folds, cycles, macs,
    utilization: macs / (R * C * cycles),
    buffers: { weightReads, activationReads, outputReads, outputWrites },
    offchip: {
      weightBytes: offW, activationBytes: offA, outputBytes: offY, totalBytes, cycles: offCycles,
      weightsFit, activationsFit, partialsFit,
    },
    boundBy: offCycles > cycles ? 'memory' : 'compute',
    computeLatencySeconds: cycles / hz,
    latencySeconds,
    macsPerSecond: macs / latencySeconds,
    gemmsPerSecond: 1 / latencySeconds,
    footprint: { activationBytes: aBytes, weightBytes: wBytes, outputBytes: yBytes, totalBytes: total, fp32Bytes, ratio: fp32Bytes / total },
  };
}
