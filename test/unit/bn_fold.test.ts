import { describe, it, expect } from 'vitest';
import { foldBatchNorm, bnScale, channelAffine } from '../../src/quant/index.js';
import { fp32Inference } from '../../src/model/fp32_infer.js';
import type { Checkpoint } from '../../src/model/checkpoint.js';
import { Rng, testSeed } from '../../src/util/rng.js';

describe('batch-norm folding', () => {
  const seed = testSeed(31);
  it(`dense + batchnorm equals the folded dense (seed ${seed})`, () => {
    const rng = new Rng(seed);
    const I = 12;
    const O = 5;
    const r = (n: number, f = () => rng.normal()): Float32Array => Float32Array.from({ length: n }, f);
    const bn = { kind: 'batchnorm' as const, channels: O, eps: 1e-3, gamma: r(O), beta: r(O), mean: r(O), var: r(O, () => rng.float() + 0.5) };
    const w = r(O * I);
    const b = r(O);
    const net: Checkpoint = { format: 'lowbit-fp32', version: 1, arch: 't', inputShape: [I], layers: [{ kind: 'dense', in: I, out: O, weight: w, bias: b }, bn] };
    const f = foldBatchNorm(w, b, bn);
    const folded: Checkpoint = { ...net, layers: [{ kind: 'dense', in: I, out: O, weight: f.weight, bias: f.bias }] };
    const x = r(7 * I);
    const y1 = fp32Inference(net, x, 7);
    const y2 = fp32Inference(folded, x, 7);
    for (let i = 0; i < y1.length; i++) expect(Math.abs(y1[i] - y2[i])).toBeLessThan(1e-4 * (1 + Math.abs(y1[i])));
    // without a bias the folded bias is beta - a * mean
    const nb = foldBatchNorm(w, null, bn);
    const { a, shift } = bnScale(bn);
    for (let o = 0; o < O; o++) expect(nb.bias[o]).toBe(Math.fround(shift[o]));
    // the affine view: S = a * sx * sw (made positive), B = a * (b - mean) + beta
    const aff = channelAffine(O, 0.5, [2], b, bn);
    for (let o = 0; o < O; o++) {
      expect(aff.S[o]).toBeCloseTo(Math.abs(a[o]), 12);
      expect(aff.flip[o]).toBe(a[o] < 0 ? 1 : 0);
      expect(aff.B[o]).toBeCloseTo(a[o] * b[o] + shift[o], 12);
    }
  });
});
