import { describe, it, expect } from 'vitest';
import { channelAffine, multiThresholds, signThresholds, thresholdFor, applyFlips, INT32_MIN, INT32_MAX } from '../../src/quant/index.js';
import { roundHalfEven } from '../../src/arith/index.js';
import type { BatchNormCkpt } from '../../src/model/checkpoint.js';
import { Rng, testSeed } from '../../src/util/rng.js';

function randomBn(rng: Rng, c: number): BatchNormCkpt {
  const f = (g: () => number): Float32Array => Float32Array.from({ length: c }, g);
  return {
    kind: 'batchnorm', channels: c, eps: 1e-5,
    gamma: f(() => (rng.float() + 0.2) * (rng.float() < 0.4 ? -1 : 1)), beta: f(() => rng.normal()),
    mean: f(() => rng.normal() * 5), var: f(() => rng.float() * 3 + 0.1),
  };
}

describe('thresholds from batch-norm + activation', () => {
  const seed = testSeed(99);
  it(`multi-threshold count equals clamp(rint(y / s_y)) for every accumulator (seed ${seed})`, () => {
    const rng = new Rng(seed);
    const C = 8;
    const bn = randomBn(rng, C);
    const sx = 0.013;
    const sw = Array.from({ length: C }, () => rng.float() * 0.05 + 0.001);
    const bias = Float32Array.from({ length: C }, () => rng.normal());
    const aff = channelAffine(C, sx, sw, bias, bn);
    const sy = 0.37;
    for (const [qmin, qmax] of [[0, 3], [-7, 7], [0, 1], [0, 15]]) {
      const T = multiThresholds(aff, sy, 0, qmin, qmax);
      const steps = qmax - qmin;
      for (let o = 0; o < C; o++) {
        const a = bn.gamma[o] / Math.sqrt(bn.var[o] + bn.eps);
        for (let k = 0; k < 300; k++) {
          const acc = rng.int(-3000, 3000);
          // reference: the float network on the un-flipped accumulator
          const y = a * (sx * sw[o] * acc + bias[o] - bn.mean[o]) + bn.beta[o];
          const ref = Math.min(qmax, Math.max(qmin, roundHalfEven(y / sy)));
          const hwAcc = aff.flip[o] ? -acc : acc;
          let count = 0;
          for (let t = 0; t < steps; t++) if (hwAcc >= T[o * steps + t]) count++;
          expect(qmin + count, `channel ${o} acc ${acc} (LOWBIT_SEED=${seed})`).toBe(ref);
        }
        for (let t = 1; t < steps; t++) expect(T[o * steps + t]).toBeGreaterThanOrEqual(T[o * steps + t - 1]);
      }
    }
  });

  it(`BN + sign folds to one threshold per channel, comparison flipped for negative scales (seed ${seed})`, () => {
    const rng = new Rng(seed + 1);
    const C = 16;
    const K = 50;
    const bn = randomBn(rng, C);
    const w = Int32Array.from({ length: C * K }, () => (rng.float() < 0.5 ? -1 : 1));
    const alpha = Array.from({ length: C }, () => rng.float() + 0.1);
    const aff = channelAffine(C, 1, alpha, null, bn);
    expect(Array.from(aff.flip)).toEqual(Array.from(bn.gamma, (g) => (g < 0 ? 1 : 0)));
    const T = signThresholds(aff);
    const wf = w.slice();
    applyFlips(wf, C, aff.flip);
    for (let n = 0; n < 200; n++) {
      const x = Int32Array.from({ length: K }, () => (rng.float() < 0.5 ? -1 : 1));
      for (let o = 0; o < C; o++) {
        let acc = 0;
        let accF = 0;
        for (let i = 0; i < K; i++) {
          acc += w[o * K + i] * x[i];
          accF += wf[o * K + i] * x[i];
        }
        const a = bn.gamma[o] / Math.sqrt(bn.var[o] + bn.eps);
        const y = a * (alpha[o] * acc - bn.mean[o]) + bn.beta[o];
        expect(accF >= T[o] ? 1 : -1).toBe(y >= 0 ? 1 : -1);
      }
    }
  });

  it('least integer meeting S*acc + B >= edge; constant channels; int32 clamp', () => {
    expect(thresholdFor(0.5, 0.25, 1)).toBe(2); // 0.5*2 + 0.25 = 1.25 >= 1, 0.5*1 + .25 < 1
    expect(thresholdFor(2, 0, 4)).toBe(2); // exact: 2*2 = 4
    expect(thresholdFor(0, 1, 0.5)).toBe(INT32_MIN);
    expect(thresholdFor(0, 0, 0.5)).toBe(INT32_MAX);
    expect(thresholdFor(1e-12, 0, 1)).toBe(INT32_MAX);
    expect(thresholdFor(1e-12, 0, -1)).toBe(INT32_MIN);
  });
});
