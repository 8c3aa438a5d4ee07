import { describe, it, expect } from 'vitest';
import { quantizeWeights } from '../../src/train/quantizers.js';
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
