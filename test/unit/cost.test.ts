import { describe, it, expect } from 'vitest';
import { intFormat } from '../../src/arith/format.js';
import type { Design } from '../../src/hw/design.js';
import { PRESETS } from '../../src/hw/presets.js';
import { estimateGemm, gemmCycles } from '../../src/hw/cost.js';
import { simulateGemm } from '../../src/hw/gemm_schedule.js';
import { scaleSimCycles } from '../../src/hw/scalesim.js';
import { Rng, testSeed } from '../../src/util/rng.js';

const seed = testSeed(31337);
console.log(`cost.test seed ${seed} (LOWBIT_SEED=${seed} reproduces)`);

function design(R: number, C: number, dataflow: Design['array']['dataflow'], patch?: (d: Design) => void): Design {
  const d = structuredClone(PRESETS.int8) as Design;
  d.array = { rows: R, cols: C, dataflow };
  patch?.(d);
  return d;
}

describe('estimateGemm cycles == the cycle-stepped model', () => {
  it('random arrays (incl. 1x1, 1xC, Rx1) and shapes (incl. K = 1, M or N < C, not divisible)', () => {
    const rng = new Rng(seed);
    for (let it = 0; it < 300; it++) {
      const d = design(rng.int(1, 7), rng.int(1, 7), (['os', 'ws', 'is'] as const)[it % 3]);
      const M = rng.int(1, 20), K = it % 7 === 0 ? 1 : rng.int(1, 20), N = rng.int(1, 20);
      const A = new Int32Array(M * K).fill(1);
      const W = new Int32Array(K * N).fill(1);
      const stepped = simulateGemm(d, A, W, M, K, N, { cycleAccurate: true });
      expect(stepped.cycles, `${d.array.rows}x${d.array.cols} ${d.array.dataflow} M${M} K${K} N${N}`).toBe(gemmCycles(d, M, K, N).cycles);
      expect(stepped.stats.cycles).toBe(stepped.cycles);
    }
  });
});

describe('estimateGemm worked examples (docs/mac_array.md)', () => {
  it('16x16, M = K = N = 64: os 1311, ws 1311, is 1311 cycles', () => {
    expect(gemmCycles(design(16, 16, 'os'), 64, 64, 64)).toEqual({ cycles: 15 * (64 + 16) + 64 + 32 + 16 - 1, folds: 16 });
    expect(gemmCycles(design(16, 16, 'os'), 64, 64, 64).cycles).toBe(1311);
    expect(gemmCycles(design(16, 16, 'ws'), 64, 64, 64)).toEqual({ cycles: 1311, folds: 16 });
    expect(gemmCycles(design(16, 16, 'is'), 64, 64, 64)).toEqual({ cycles: 1311, folds: 16 });
  });

  it('ws with M < C - 1 waits for partial sums: consecutive k-folds start R + C - 1 apart', () => {
    // R = 2, C = 8, M = 3, K = 4 (KF = 2), N = 8 (T = 1): 2 + 1*1*(2 + 7) + 0 + 3 + 2 + 8 - 1 = 23
    expect(gemmCycles(design(2, 8, 'ws'), 3, 4, 8).cycles).toBe(23);
  });

  it('buffer traffic, utilization, footprint', () => {
    const c = estimateGemm(design(2, 2, 'os'), 3, 5, 3);
    expect(c.buffers).toEqual({ activationReads: 2 * 15, weightReads: 2 * 15, outputReads: 0, outputWrites: 9 });
    expect(c.macs).toBe(45);
    expect(c.utilization).toBe(45 / (4 * c.cycles));
    const w = estimateGemm(design(2, 2, 'ws'), 3, 5, 3);
    expect(w.buffers).toEqual({ weightReads: 15, activationReads: 2 * 15, outputReads: 2 * 9, outputWrites: 3 * 9 });
    const i = estimateGemm(design(2, 2, 'is'), 3, 5, 3);
    expect(i.buffers).toEqual({ activationReads: 15, weightReads: 2 * 15, outputReads: 2 * 9, outputWrites: 3 * 9 });
    // int8 operands, int32 results vs FP32
    expect(c.footprint).toEqual({ activationBytes: 15, weightBytes: 15, outputBytes: 36, totalBytes: 66, fp32Bytes: 4 * 39, ratio: 156 / 66 });
    const int4 = estimateGemm(design(2, 2, 'os', (d) => { d.weight = intFormat(4, true); d.activation = intFormat(4, true); }), 3, 5, 3);
    expect(int4.footprint.activationBytes).toBe(8); // ceil(15 * 4 / 8)
  });

  it('off-chip reuse model: fitting operands are fetched once, others on every read; latency and throughput', () => {
    const big = design(4, 4, 'os');
    const c = estimateGemm(big, 32, 32, 32);
    expect(c.offchip.activationsFit && c.offchip.weightsFit).toBe(true);
    expect(c.offchip.totalBytes).toBe(32 * 32 + 32 * 32 + 32 * 32 * 4);
    expect(c.offchip.cycles).toBe(c.offchip.totalBytes / 16);
    const small = design(4, 4, 'os', (d) => { d.buffers = { weightBytes: 100, activationBytes: 100, outputBytes: 100 }; });
    const s = estimateGemm(small, 32, 32, 32);
    expect(s.offchip.activationBytes).toBe(s.buffers.activationReads);
    expect(s.offchip.weightBytes).toBe(s.buffers.weightReads);
    expect(c.computeLatencySeconds).toBe(c.cycles / 200e6);
    expect(c.latencySeconds).toBe(Math.max(c.cycles, c.offchip.cycles) / 200e6);
    expect(c.macsPerSecond).toBe(32 ** 3 / c.latencySeconds);
    // ws partial sums that do not fit the output buffer spill: written and read back
    const spill = design(2, 4, 'ws', (d) => { d.buffers.outputBytes = 16; });
    const p = estimateGemm(spill, 8, 6, 4);
    expect(p.offchip.partialsFit).toBe(false);
    expect(p.offchip.outputBytes).toBe(8 * 4 * 4 + 2 * 2 * 8 * 4 * 4);
  });

  it('rejects bad shapes with the field named', () => {
    expect(() => estimateGemm(design(4, 4, 'os'), 0, 4, 4)).toThrow(/M: got 0; allowed: an integer 1\.\./);
    expect(() => estimateGemm(design(4, 4, 'os'), 4, 2.5, 4)).toThrow(/K: got 2\.5/);
  });

  it('is O(1): a 2^20-cube GEMM is estimated without simulation', () => {
    const c = estimateGemm(design(128, 128, 'ws'), 2 ** 20, 2 ** 20, 2 ** 20);
    expect(Number.isSafeInteger(c.cycles)).toBe(true);
    expect(c.utilization).toBeGreaterThan(0.9);
    expect(c.utilization).toBeLessThanOrEqual(1);
  });
});

describe('relation to SCALE-Sim v2 formulas (explained in docs/mac_array.md)', () => {
  it('one fold: os = SCALE-Sim + R + 1 (drain and output register), ws/is = SCALE-Sim + 1 (output register)', () => {
    const rng = new Rng(seed + 7);
    for (let it = 0; it < 50; it++) {
      const R = rng.int(1, 32), C = rng.int(1, 32);
      const os = design(R, C, 'os');
      const K = rng.int(1, 100);
      expect(gemmCycles(os, R, K, C).cycles).toBe(scaleSimCycles(os, R, K, C).cycles + R + 1);
      const ws = design(R, C, 'ws');
      const M = rng.int(1, 100);
      expect(gemmCycles(ws, M, R, C).cycles).toBe(scaleSimCycles(ws, M, R, C).cycles + 1);
      const is = design(R, C, 'is');
      expect(gemmCycles(is, C, R, M).cycles).toBe(scaleSimCycles(is, C, R, M).cycles + 1);
    }
  });
});
