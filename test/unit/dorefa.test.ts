import { describe, it, expect } from 'vitest';
import { quantizeGradDoReFa, quantizeWeights } from '../../src/train/quantizers.js';
import { buildNetwork } from '../../src/train/arch.js';
import { GradQuant } from '../../src/train/activations.js';
import { Rng, testSeed } from '../../src/util/rng.js';

/**
 * DoReFa-Net weights (Zhou et al. 2016, eq. 9), written out from the paper:
 *   w_q = 2 quantize_k( tanh(w) / (2 max|tanh(w)|) + 1/2 ) - 1,   quantize_k(r) = round((2^k - 1) r) / (2^k - 1)
 * (round half to even, tf.round in the authors' tensorpack code).
 */
function paperWq(w: number[], k: number): number[] {
  const n = 2 ** k - 1;
  const mx = Math.max(...w.map((v) => Math.abs(Math.tanh(v))));
  const rint = (x: number): number => {
    const f = Math.floor(x);
    return x - f === 0.5 ? (f % 2 === 0 ? f : f + 1) : Math.round(x);
  };
  return w.map((v) => 2 * (rint(n * (Math.tanh(v) / (2 * mx) + 0.5)) / n) - 1);
}

function lowbitWq(w: number[], k: number, rows = 1): { q: number[]; scale: number[]; ste: number[] } {
  const q = new Float32Array(w.length);
  const scale = new Float32Array(rows);
  const ste = new Float32Array(w.length);
  quantizeWeights({ method: 'dorefa', bits: k }, Float32Array.from(w), rows, w.length / rows, q, scale, ste);
  return { q: Array.from(q), scale: Array.from(scale), ste: Array.from(ste) };
}

describe('DoReFa weights as in the paper', () => {
  const seed = testSeed(20);
  const rng = new Rng(seed);
  // float32 weights (what the layer holds), spread over the tanh range, plus values whose x lands on a tie
  const w = Array.from({ length: 400 }, () => Math.fround((rng.float() * 2 - 1) * 2.5));

  for (const k of [1, 2, 3, 4]) {
    it(`k = ${k}: q / n equals the formula on every weight, the levels are the 2^k odd values (2r - n) / n`, () => {
      const n = 2 ** k - 1;
      const ref = paperWq(w, k);
      const { q, scale } = lowbitWq(w, k, 4);
      expect(scale).toEqual(new Array(4).fill(Math.fround(1 / n)));
      for (let i = 0; i < w.length; i++) {
        // the paper's value is (2r - n) / n up to the double rounding of 2 (r / n) - 1: recover r and compare
        const r = Math.round(((ref[i]! + 1) * n) / 2);
        expect(Math.abs(ref[i]! - (2 * r - n) / n), `seed ${seed}`).toBeLessThan(1e-12);
        expect(q[i], `w = ${w[i]} (seed ${seed})`).toBe(2 * r - n);
      }
      const levels = [...new Set(q)].sort((a, b) => a - b);
      expect(levels).toEqual(Array.from({ length: n + 1 }, (_, r) => 2 * r - n));
    });
  }

  it('k = 2 gives {-1, -1/3, 1/3, 1}, and the largest |tanh w| maps to +-1', () => {
    const { q, scale } = lowbitWq([-3, -0.2, 0.2, 3, 0.05, -0.05], 2);
    expect(q.map((v) => v / 3)).toEqual([-1, -1 / 3, 1 / 3, 1, 1 / 3, -1 / 3]);
    expect(scale[0]).toBe(Math.fround(1 / 3));
    // the max is over the whole layer, not per row
    expect(lowbitWq([0.1, 0.2, 0.3, 1.5], 2, 2).q).toEqual(paperWq([0.1, 0.2, 0.3, 1.5], 2).map((v) => Math.round(v * 3)));
  });

  it('ties round half to even: w = 0 at k = 1 is x = 1/2 -> round 0 -> -1', () => {
    expect(lowbitWq([0, 1, -1], 1).q).toEqual([-1, 1, -1]);
    expect(paperWq([0, 1, -1], 1)).toEqual([-1, 1, -1]);
  });

  it('the STE is the derivative of the unrounded formula 2 x - 1 (max held constant)', () => {
    const ws = [0.3, -0.7, 1.1, -2];
    const { ste } = lowbitWq(ws, 3);
    const mx = Math.max(...ws.map((v) => Math.abs(Math.tanh(v))));
    const f = (v: number): number => 2 * (Math.tanh(v) / (2 * mx) + 0.5) - 1;
    const h = 1e-5;
    for (let i = 0; i < ws.length; i++) {
      const fd = (f(ws[i]! + h) - f(ws[i]! - h)) / (2 * h);
      expect(Math.abs(ste[i]! - fd)).toBeLessThan(1e-6);
    }
  });
});

/**
 * DoReFa gradients (eq. 12): f_G(dr) = 2 M [quantize_k(dr / (2 M) + 1/2 + N(k)) - 1/2], M = max|dr| per
 * sample, N(k) = sigma / (2^k - 1), sigma ~ U(-1/2, 1/2); clipped to [0, 1] before quantize_k (authors' code).
 */
describe('DoReFa gradient quantization as in the paper', () => {
  const seed = testSeed(12);
  const paperFg = (g: number[], k: number, noise: () => number): number[] => {
    const n = 2 ** k - 1;
    const M = Math.max(...g.map(Math.abs));
    return g.map((v) => {
      const x = Math.min(1, Math.max(0, v / (2 * M) + 0.5 + noise() / n));
      const r = Math.floor(n * x);
      const q = n * x - r === 0.5 ? (r % 2 === 0 ? r : r + 1) : Math.round(n * x);
      return 2 * M * (q / n - 0.5);
    });
  };

  for (const k of [2, 4, 6, 8]) {
    it(`k = ${k}: equals the formula per sample with the same noise draws; values on the grid 2M(j/n - 1/2)`, () => {
      const src = new Rng(seed);
      const g = Float32Array.from({ length: 2 * 50 }, (_, i) => (src.float() - 0.5) * (i < 50 ? 1e-3 : 3));
      const a = new Rng(seed + 1);
      const b = new Rng(seed + 1);
      const mine = g.slice();
      quantizeGradDoReFa(mine, 2, 50, k, a);
      const ref = [...paperFg(Array.from(g.subarray(0, 50)), k, () => b.float() - 0.5), ...paperFg(Array.from(g.subarray(50)), k, () => b.float() - 0.5)];
      expect(Array.from(mine), `seed ${seed}`).toEqual(ref.map(Math.fround));
      const n = 2 ** k - 1;
      for (let s = 0; s < 2; s++) {
        const M = Math.max(...Array.from(g.subarray(s * 50, s * 50 + 50), Math.abs));
        for (let i = s * 50; i < s * 50 + 50; i++) {
          const j = (mine[i]! / (2 * M) + 0.5) * n;
          expect(Math.abs(j - Math.round(j))).toBeLessThan(1e-4);
        }
      }
    });
  }

  it('is unbiased inside the range: the mean over many draws approaches dr (stochastic rounding)', () => {
    const rng = new Rng(seed);
    const g = Float32Array.from([1, 0.3, -0.55, 0.01, -1]);
    const sum = new Float64Array(5);
    const T = 20000;
    for (let t = 0; t < T; t++) {
      const v = g.slice();
      quantizeGradDoReFa(v, 1, 5, 2, rng);
      for (let i = 0; i < 5; i++) sum[i] += v[i]!;
    }
    // one draw's value has spread <= 2M/n = 2/3; the mean of T draws is within 5 sigma of dr
    for (let i = 1; i < 4; i++) expect(Math.abs(sum[i]! / T - g[i]!), `element ${i} (seed ${seed})`).toBeLessThan((5 * (2 / 3) * 0.5) / Math.sqrt(T));
  });

  it('an all-zero sample stays zero and draws no noise', () => {
    const rng = new Rng(seed);
    const before = rng.state();
    const v = new Float32Array(8);
    quantizeGradDoReFa(v, 1, 8, 4, rng);
    expect(Array.from(v)).toEqual(new Array(8).fill(0));
    expect(rng.state()).toEqual(before);
  });

  it('gradBits puts a quantizer after every weighted layer but the first and last (as the authors apply fg)', () => {
    const net = buildNetwork({ arch: 'tfc', hidden: [8, 8, 8], weights: { method: 'dorefa', bits: 2 }, act: { method: 'dorefa', bits: 2 }, gradBits: 6 }, 1);
    expect(net.layers.map((l) => l.kind).join(' ')).toBe(
      'dense batchnorm activation dense gradquant batchnorm activation dense gradquant batchnorm activation dense scale');
    expect(net.layers.filter((l) => l instanceof GradQuant).every((l) => (l as GradQuant).bits === 6)).toBe(true);
    expect(() => buildNetwork({ arch: 'tfc', weights: { method: 'int', bits: 2 }, act: { method: 'pact', bits: 2 }, gradBits: 0 }, 1)).toThrow(/grad-bits/);
  });
});
