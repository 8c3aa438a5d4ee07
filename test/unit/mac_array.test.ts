import { describe, it, expect } from 'vitest';
import type { Design } from '../../src/hw/design.js';
import { PRESETS } from '../../src/hw/presets.js';
import { simulateGemm } from '../../src/hw/gemm_schedule.js';
import { MacArray, type MacArrayInputs } from '../../src/hw/mac_array.js';
import { accRule, type AccRule } from '../../src/hw/mac_rule.js';
import { fromJsonOperand } from '../../src/hw/design.js';
import { formatBits, formatRange, formatSigned } from '../../src/arith/format.js';
import { castIntBig, intFormat } from '../../src/arith/index.js';
import { InputError } from '../../src/util/errors.js';
import { Rng, testSeed } from '../../src/util/rng.js';

const seed = testSeed(20261127);
console.log(`mac_array.test seed ${seed} (LOWBIT_SEED=${seed} reproduces)`);

/** The naive reference: one PE accumulating k = 0..K-1 in order, cast after every add (arith). */
function naiveGemm(A: Int32Array, W: Int32Array, M: number, K: number, N: number, d: Design): bigint[] {
  const f = intFormat(d.accumulator.bits, true);
  const Y: bigint[] = [];
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = 0n;
      for (let k = 0; k < K; k++) s = castIntBig(s + BigInt(A[m * K + k]) * BigInt(W[k * N + n]), f, d.accumulator.overflow);
      Y.push(s);
    }
  }
  return Y;
}

function randomDesign(rng: Rng): Design {
  const d = structuredClone(PRESETS.int8) as Design;
  d.array = { rows: rng.int(1, 5), cols: rng.int(1, 5), dataflow: (['os', 'ws', 'is'] as const)[rng.int(0, 2)] };
  const wb = [1, 2, 4, 7, 8, 16][rng.int(0, 5)];
  const ab = [1, 2, 3, 8, 16][rng.int(0, 4)];
  d.weight = fromJsonOperand({ bits: wb, signed: rng.int(0, 3) > 0 });
  d.activation = fromJsonOperand({ bits: ab, signed: rng.int(0, 1) > 0 });
  d.accumulator = { bits: [2, 5, 8, 12, 16, 31, 32, 33, 53, 63, 64][rng.int(0, 10)], overflow: rng.int(0, 1) ? 'SAT' : 'WRAP' };
  return d;
}

function randomOperands(rng: Rng, d: Design, M: number, K: number, N: number): { A: Int32Array; W: Int32Array } {
  const val = (f: Design['weight']): number => {
    if (f.type === 'binary') return rng.float() < 0.5 ? -1 : 1;
    const { min: lo, max: hi } = formatRange(f);
    return rng.float() < 0.3 ? (rng.float() < 0.5 ? lo : hi) : rng.int(lo, hi);
  };
  const A = Int32Array.from({ length: M * K }, () => val(d.activation));
  const W = Int32Array.from({ length: K * N }, () => val(d.weight));
  return { A, W };
}

function toBig(Y: Int32Array | BigInt64Array): bigint[] {
  const out: bigint[] = [];
  for (let i = 0; i < Y.length; i++) out.push(BigInt(Y[i]));
  return out;
}

const label = (d: Design, M: number, K: number, N: number): string =>
  `${d.array.rows}x${d.array.cols} ${d.array.dataflow} w${formatBits(d.weight)}${formatSigned(d.weight) ? 's' : 'u'} ` +
  `a${formatBits(d.activation)}${formatSigned(d.activation) ? 's' : 'u'} acc${d.accumulator.bits}${d.accumulator.overflow} M${M} K${K} N${N}`;

describe('simulateGemm: cycle-stepped model == fast path == naive reference', () => {
  it('random designs and shapes (1x1 arrays, K = 1, shapes not divisible by the array, WRAP and SAT)', () => {
    const rng = new Rng(seed);
    let sat = 0;
    for (let it = 0; it < 250; it++) {
      const d = randomDesign(rng);
      const M = rng.int(1, 11);
      const K = it % 10 === 0 ? 1 : rng.int(1, 13);
      const N = rng.int(1, 11);
      const { A, W } = randomOperands(rng, d, M, K, N);
      const ref = naiveGemm(A, W, M, K, N, d);
      const slow = simulateGemm(d, A, W, M, K, N, { cycleAccurate: true });
      const fast = simulateGemm(d, A, W, M, K, N, { cycleAccurate: false });
      const what = label(d, M, K, N);
      expect(slow.cycles, what).toBe(fast.cycles);
      expect(toBig(slow.Y), what).toEqual(ref);
      expect(toBig(fast.Y), what).toEqual(ref);
      expect(slow.Y instanceof BigInt64Array).toBe(d.accumulator.bits > 32);
      if (d.accumulator.overflow === 'SAT') sat++;
    }
    expect(sat).toBeGreaterThan(50);
  });

  it('accumulator overflow gives exactly what arith defines (saturate up then down; wrap)', () => {
    for (const overflow of ['WRAP', 'SAT'] as const) {
      for (const dataflow of ['os', 'ws', 'is'] as const) {
        const d = structuredClone(PRESETS.int8) as Design;
        d.array = { rows: 2, cols: 3, dataflow };
        d.accumulator = { bits: 16, overflow };
        const M = 3, K = 9, N = 2;
        const A = new Int32Array(M * K).fill(127);
        const W = new Int32Array(K * N);
        for (let k = 0; k < K; k++) {
          W[k * N] = k < 5 ? 127 : -128;
          W[k * N + 1] = k < 5 ? -128 : 127;
        }
        const { Y } = simulateGemm(d, A, W, M, K, N, { cycleAccurate: true });
        // column 0: 5 * 16129 = 80645 saturates at 32767, then 4 * -16256 -> 32767 - 65024 -> -32257
        // WRAP: 5*16129 - 4*16256 = 15621 (mod 2^16 the same)
        if (overflow === 'SAT') expect([Y[0], Y[1]]).toEqual([32767 - 4 * 16256, -32768 + 4 * 16129]);
        else expect([Y[0], Y[1]]).toEqual([5 * 16129 - 4 * 16256, -5 * 16256 + 4 * 16129]);
      }
    }
  });

  it('random controller stalls change the cycle count, never the values', () => {
    const rng = new Rng(seed + 1);
    for (let it = 0; it < 40; it++) {
      const d = randomDesign(rng);
      const M = rng.int(1, 9), K = rng.int(1, 9), N = rng.int(1, 9);
      const { A, W } = randomOperands(rng, d, M, K, N);
      const plain = simulateGemm(d, A, W, M, K, N, { cycleAccurate: true });
      const stalled = simulateGemm(d, A, W, M, K, N, { cycleAccurate: true, stall: () => rng.float() < 0.3 });
      expect(toBig(stalled.Y), label(d, M, K, N)).toEqual(toBig(plain.Y));
      expect(stalled.cycles).toBeGreaterThanOrEqual(plain.cycles);
    }
  });

  it('rejects bad shapes and short operand arrays with the field named', () => {
    const d = PRESETS.tiny as Design;
    expect(() => simulateGemm(d, new Int32Array(4), new Int32Array(4), 0, 2, 2)).toThrow(InputError);
    expect(() => simulateGemm(d, new Int32Array(3), new Int32Array(4), 2, 2, 2)).toThrow(/A.length/);
  });
});

describe('MacArray timing', () => {
  function blank(R: number, C: number, rule: AccRule<number>): MacArrayInputs<number> {
    return { hValid: false, h: new Int32Array(R), vValid: false, v: new Int32Array(C), last: false, tag: 0, ps: new Array<number>(C).fill(rule.zero) };
  }

  it('os: row m0+R-1-j of a fold starting at s is on y_o in cycle s + K + R + C - 1 + j', () => {
    const d = structuredClone(PRESETS.int8) as Design;
    d.array = { rows: 3, cols: 2, dataflow: 'os' };
    const rule = accRule(d) as AccRule<number>;
    const arr = new MacArray<number>(d, rule);
    const K = 4, R = 3, C = 2;
    const seen: [number, number[]][] = [];
    for (let t = 0; t < 30; t++) {
      if (arr.yValid()) seen.push([t, [arr.y(0), arr.y(1)]]);
      const i = blank(R, C, rule);
      if (t < K) {
        i.hValid = i.vValid = true;
        for (let r = 0; r < R; r++) i.h[r] = r + 1; // A[r][k] = r + 1
        for (let c = 0; c < C; c++) i.v[c] = 10 * (c + 1); // W[k][c] = 10 (c + 1)
        i.last = t === K - 1;
      }
      arr.step(i);
    }
    const first = K + R + C - 1;
    expect(seen).toEqual([0, 1, 2].map((j) => [first + j, [K * (R - j) * 10, K * (R - j) * 20]]));
  });

  it('os drain rule is tight: R + 1 cycles after the last beat is safe, R corrupts the next fold', () => {
    const d = structuredClone(PRESETS.int8) as Design;
    d.array = { rows: 3, cols: 1, dataflow: 'os' };
    const rule = accRule(d) as AccRule<number>;
    const run = (gap: number): number[] => {
      const arr = new MacArray<number>(d, rule);
      const out: number[] = [];
      for (let t = 0; t < 40; t++) {
        if (arr.yValid()) out.push(arr.y(0));
        const i = blank(3, 1, rule);
        if (t === 0 || t === gap) {
          i.hValid = i.vValid = i.last = true;
          i.h.set(t === 0 ? [1, 2, 3] : [4, 5, 6]);
          i.v[0] = 1;
        }
        arr.step(i);
      }
      return out;
    };
    expect(run(1 + 3)).toEqual([3, 2, 1, 6, 5, 4]); // K = 1: the rule, s' = s + K + R
    expect(run(1 + 3 + 5)).toEqual([3, 2, 1, 6, 5, 4]); // any later start is fine
    expect(run(1 + 3 - 1)).not.toEqual([3, 2, 1, 6, 5, 4]); // row 0 has not received its zero yet
  });

  it('ws: the sum of stream beat m entering at e + m is on y_o in cycle e + m + R + C - 1', () => {
    const d = structuredClone(PRESETS.int8) as Design;
    d.array = { rows: 2, cols: 3, dataflow: 'ws' };
    const rule = accRule(d) as AccRule<number>;
    const arr = new MacArray<number>(d, rule);
    const R = 2, C = 3;
    const out: [number, number[]][] = [];
    for (let t = 0; t < 20; t++) {
      if (arr.yValid()) out.push([t, [arr.y(0), arr.y(1), arr.y(2)]]);
      const i = blank(R, C, rule);
      if (t < R) {
        i.vValid = true;
        i.tag = t;
        for (let c = 0; c < C; c++) i.v[c] = (t + 1) * (c + 1); // W[k][c] = (k + 1)(c + 1)
      } else if (t < R + 2) {
        i.hValid = true;
        i.h.set([1, 10]); // A[m] = [1, 10]
        i.ps.fill(t - R); // previous partial sums 0, 1
      }
      arr.step(i);
    }
    const e = R;
    expect(out).toEqual([0, 1].map((m) => [e + m + R + C - 1, [0, 1, 2].map((c) => m + (c + 1) * (1 + 20))]));
  });
});
