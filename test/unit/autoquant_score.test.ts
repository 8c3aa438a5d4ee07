import { describe, it, expect } from 'vitest';
import { optimalSignStep, optimalStep } from '../../src/train/sensitivity_scale.js';
import { layerSensitivities, optimalQuantized, quantizeActivation } from '../../src/train/sensitivity.js';
import { quantizeWeights, symLevels } from '../../src/train/quantizers.js';
import { trainConfigFor } from '../../src/train/run.js';
import { train } from '../../src/train/trainer.js';
import { Dense } from '../../src/train/dense.js';
import { loadMnist } from '../../src/data/mnist.js';
import { mnistSubset } from './helpers/mnist_subset.js';
import { Rng, testSeed } from '../../src/util/rng.js';

const seed = testSeed(20);

/** Least squared error of the grid {-Q..Q} x s (signed) or {0..Q} x s over every assignment q: each q's best
 * s is <w,q>/<q,q>, so the joint minimum over (s, q) is min_q |w|^2 - <w,q>^2/<q,q> (q = 0: |w|^2). */
function bruteForce(w: number[], levels: number[]): number {
  const norm2 = w.reduce((a, x) => a + x * x, 0);
  let best = norm2;
  const q = new Array<number>(w.length).fill(0);
  const rec = (i: number): void => {
    if (i === w.length) {
      let A = 0;
      let B = 0;
      for (let j = 0; j < w.length; j++) {
        A += w[j]! * q[j]!;
        B += q[j]! * q[j]!;
      }
      if (B > 0) best = Math.min(best, norm2 - (A * A) / B);
      return;
    }
    for (const l of levels) {
      q[i] = l;
      rec(i + 1);
    }
  };
  rec(0);
  return best;
}

const range = (lo: number, hi: number): number[] => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
const sqErr = (a: Float32Array, b: Float32Array): number => a.reduce((s, x, i) => s + (x - b[i]!) ** 2, 0);
const gauss = (rng: Rng): number => Math.sqrt(-2 * Math.log(1 - rng.float())) * Math.cos(2 * Math.PI * rng.float());

describe('the MSE-optimal scale of the sensitivity quantizers (seed ' + seed + ')', () => {
  it('equals the brute-force minimum over every assignment, signed and unsigned grids', () => {
    const rng = new Rng(seed);
    for (let trial = 0; trial < 12; trial++) {
      const w = Array.from({ length: 5 }, () => Math.fround(gauss(rng) * (trial % 3 === 0 ? 3 : 1)));
      for (const bits of [2, 3, 4]) {
        const Q = symLevels(bits);
        // the weights of one row quantized at the optimal scale: the error is the global minimum
        const got = sqErr(optimalQuantized(Float32Array.from(w), 1, 5, bits, false), Float32Array.from(w));
        const want = bruteForce(w, range(-Q, Q));
        expect(got).toBeCloseTo(want, 5);
        expect(optimalStep(w.map(Math.abs), Q).error).toBeCloseTo(want, 10);
      }
      // 1 bit: the sign grid {-s, +s}, s = mean|w|
      expect(optimalSignStep(w).error).toBeCloseTo(bruteForce(w, [-1, 1]), 10);
      expect(optimalSignStep(w).step).toBeCloseTo(w.reduce((a, x) => a + Math.abs(x), 0) / 5, 12);
      // unsigned activations {0..n} x s, n = 2^a - 1
      const y = w.map((x) => Math.max(0, x));
      for (const a of [1, 2, 3]) expect(optimalStep(y, 2 ** a - 1).error).toBeCloseTo(bruteForce(y, range(0, 2 ** a - 1)), 10);
    }
  });

  it('hand cases on {0, 1} x s: {0.1, 0.2, 1} is least at s = 1 (0.05); {0.5, 0.6, 0.7} at s = 0.6 (0.02; max scaling 0.7 errs 0.05)', () => {
    // |w|^2 = 1.05; q = (0, 0, 1): s = 1, E = 1.05 - 1 = 0.05; q = (0, 1, 1): E = 1.05 - 1.2^2/2 = 0.33; q = (1, 1, 1): E = 1.05 - 1.3^2/3
    const r = optimalStep([0.1, 0.2, 1], 1);
    expect(r.error).toBeCloseTo(0.05, 12);
    expect(r.step).toBeCloseTo(1, 12);
    // |w|^2 = 1.1; q = (1, 1, 1): s = 1.8/3 = 0.6, E = 1.1 - 1.8^2/3 = 0.02 (at s = 0.7 every q is 1 too: E = 0.04 + 0.01 = 0.05)
    const s = optimalStep([0.5, 0.6, 0.7], 1);
    expect(s.step).toBeCloseTo(0.6, 12);
    expect(s.error).toBeCloseTo(0.02, 12);
  });

  it('the error decreases with the bits on random weights and activations (and did not with max scaling)', () => {
    const rng = new Rng(seed + 1);
    const m = 8;
    const k = 300;
    for (const dist of ['gauss', 'uniform', 'laplace'] as const) {
      const w = Float32Array.from({ length: m * k }, () => (dist === 'gauss' ? gauss(rng) : dist === 'uniform' ? 2 * rng.float() - 1 : Math.log(rng.float() + 1e-12) * (rng.float() < 0.5 ? -1 : 1)) * 0.05);
      for (const last of [false, true]) {
        const errs = [1, 2, 3, 4, 5, 6, 8].map((b) => sqErr(optimalQuantized(w, m, k, b, last), w));
        for (let i = 1; i < errs.length; i++) expect(errs[i], `${dist} last=${last} step ${i}`).toBeLessThan(errs[i - 1]!);
      }
      // QAT's starting scale max|w| / Q: on bell-shaped weights the ternary grid errs more than the sign grid
      // (the flaw of the old score; uniform weights suit max scaling)
      const q = new Float32Array(m * k);
      const sc = new Float32Array(m);
      const ste = new Float32Array(m * k);
      quantizeWeights({ method: 'int', bits: 2 }, w, m, k, q, sc, ste);
      const maxScaled = sqErr(q.map((x, i) => x * sc[Math.floor(i / k)]!), w);
      if (dist !== 'uniform') expect(maxScaled, dist).toBeGreaterThan(sqErr(optimalQuantized(w, m, k, 1, false), w));
      // activations: ReLU outputs, quantized in place
      const h = w.map((x) => Math.max(0, x));
      const aErr = [1, 2, 3, 4, 6, 8].map((a) => {
        const t = h.slice();
        quantizeActivation(t, t.length, a);
        return sqErr(t, h);
      });
      for (let i = 1; i < aErr.length; i++) expect(aErr[i], `${dist} act step ${i}`).toBeLessThan(aErr[i - 1]!);
    }
  });

  it('on trained MNIST weights: |Q_b(W) - W|^2 and HAWQ Omega = 1/2 Tr(H)/n |Q_b(W) - W|^2 decrease with b in every layer', () => {
    const data = mnistSubset(600, 10);
    const cfg = trainConfigFor({ arch: 'tfc', hidden: [48, 32], seed, dropout: 0, valCount: 100, wbits: 32, abits: 32, epochs: 1, dataDir: data });
    const net = train(cfg, loadMnist('train', data)).net;
    const dense = net.layers.filter((l): l is Dense => l instanceof Dense);
    const bits = [1, 2, 3, 4, 8];
    dense.forEach((l, j) => {
      const last = j === dense.length - 1;
      const errs = bits.map((b) => sqErr(optimalQuantized(l.weight.value, l.outF, l.inF, b, last), l.weight.value));
      for (let i = 1; i < errs.length; i++) expect(errs[i], `layer ${j} ${bits[i]} bits`).toBeLessThan(errs[i - 1]!);
    });
    // Omega as layerSensitivities computes it, against the direct formula with made-up traces
    const train6 = loadMnist('train', data);
    const n = 50;
    const x = Float32Array.from(train6.images.subarray(0, n * 784), (v) => v / 255);
    const traces = dense.map((l, j) => ({ trace: 10 * (j + 1), size: l.weight.value.length, stderr: 0, values: [] }));
    const s = layerSensitivities(net, traces, x, train6.labels.subarray(0, n), n, bits, [1, 2, 4]);
    s.layers.forEach((ls, j) => {
      const l = dense[j]!;
      for (const b of bits) {
        const direct = 0.5 * (traces[j]!.trace / traces[j]!.size) * sqErr(optimalQuantized(l.weight.value, l.outF, l.inF, b, j === dense.length - 1), l.weight.value);
        expect(ls.hawq.get(b)).toBeCloseTo(direct, 12);
      }
      for (let i = 1; i < bits.length; i++) expect(ls.hawq.get(bits[i]!)!).toBeLessThan(ls.hawq.get(bits[i - 1]!)!);
    });
  }, 120_000);
});
