import { describe, it, expect } from 'vitest';
import { Dense } from '../../src/train/dense.js';
import { Network } from '../../src/train/network.js';
import { Optimizer } from '../../src/train/optim.js';
import { quantizeWeights } from '../../src/train/quantizers.js';
import { TtqTransform } from '../../src/train/ttq.js';
import { QuantNoiseTransform } from '../../src/train/quant_noise.js';
import { InqTransform } from '../../src/train/inq.js';
import { SharedWeightsTransform } from '../../src/train/shared_weights.js';
import { PruneMaskTransform } from '../../src/train/prune_weights.js';
import { kmeans1d } from '../../src/kernels/kmeans.js';
import type { WeightTransform } from '../../src/train/layer.js';
import { Rng, testSeed } from '../../src/util/rng.js';
import { buildNetwork, type NetSpec } from '../../src/train/arch.js';
import { attachTransforms, reestimateBatchNorm } from '../../src/train/methods.js';
import { BatchNorm } from '../../src/train/norm.js';
import { batches, fullView } from '../../src/data/batches.js';
import type { ImageDataset } from '../../src/data/mnist.js';

const seed = testSeed(20);

/** A dense layer (FP32 unless `wq` says otherwise) with `t` as its transform, in a network of its own. */
function denseWith(inF: number, outF: number, make: (w: Float32Array) => WeightTransform): { net: Network; l: Dense } {
  const l = new Dense(inF, outF, { method: 'none', bits: 32 }, false, new Rng(seed));
  l.transform = make(l.weight.value);
  return { net: new Network([inF], [l]), l };
}

/** L = sum y r on a random batch; returns L and leaves the gradients of one backward pass in the params. */
function lossAndGrads(net: Network, x: Float32Array, r: Float64Array, n: number): number {
  for (const p of net.params()) p.grad.fill(0);
  const y = net.forward(x, n, true);
  let s = 0;
  for (let i = 0; i < r.length; i++) s += y[i]! * r[i]!;
  net.backward(Float32Array.from(r), n);
  return s;
}

function batch(inF: number, outF: number, n: number): { x: Float32Array; r: Float64Array } {
  const rng = new Rng(seed + 1);
  return { x: new Float32Array(n * inF).map(() => rng.normal()), r: new Float64Array(n * outF).map(() => rng.normal()) };
}

/** dL/dw_hat = dy^T x of a dense layer, computed naively in float64. */
function dwhatRef(x: Float32Array, r: Float64Array, n: number, inF: number, outF: number): Float64Array {
  const g = new Float64Array(outF * inF);
  for (let b = 0; b < n; b++) for (let o = 0; o < outF; o++) for (let i = 0; i < inF; i++) g[o * inF + i] += r[b * outF + o]! * x[b * inF + i]!;
  return g;
}

describe('TTQ (Zhu et al. 2017)', () => {
  it('ternarizes with threshold t max|w| into W_p, 0, -W_n with the paper\'s scaled STE', () => {
    const w = Float32Array.from([0.5, -0.02, 0.03, -0.9, 0, 0.2, 0.044, -0.046]);
    const t = new TtqTransform(0.05, w); // delta = 0.045: 0.044 stays 0, -0.046 goes to -W_n
    expect(t.wp.value[0]).toBeCloseTo((0.5 + 0.2) / 2, 6);
    expect(t.wn.value[0]).toBeCloseTo((0.9 + 0.046) / 2, 6);
    t.wp.value[0] = 0.3;
    t.wn.value[0] = 0.7;
    const what = new Float32Array(8);
    const ste = new Float32Array(8);
    t.apply(w, what, ste);
    expect(Array.from(what)).toEqual([0.3, 0, 0, -0.7, 0, 0.3, 0, -0.7].map(Math.fround));
    expect(Array.from(ste)).toEqual([0.3, 1, 1, 0.7, 1, 0.3, 1, 0.7].map(Math.fround));
  });

  it('dL/dW_p, dL/dW_n equal finite differences; dL/dw = ste * dL/dw_hat', () => {
    const [inF, outF, n] = [9, 5, 4];
    const { net, l } = denseWith(inF, outF, (w) => new TtqTransform(0.05, w));
    const { x, r } = batch(inF, outF, n);
    lossAndGrads(net, x, r, n);
    const tt = l.transform as TtqTransform;
    for (const p of [tt.wp, tt.wn]) {
      const g = p.grad[0]!;
      const v = p.value[0]!;
      const eps = 1e-3;
      p.value[0] = v + eps;
      const lp = lossAndGrads(net, x, r, n);
      p.value[0] = v - eps;
      const lm = lossAndGrads(net, x, r, n);
      p.value[0] = v;
      expect(g, p.name).toBeCloseTo((lp - lm) / (2 * eps), 3);
    }
    lossAndGrads(net, x, r, n);
    const ref = dwhatRef(x, r, n, inF, outF);
    const w = l.weight.value;
    const d = tt.delta(w);
    for (let i = 0; i < w.length; i++) {
      const s = w[i]! > d ? tt.wp.value[0]! : w[i]! < -d ? tt.wn.value[0]! : 1;
      expect(l.weight.grad[i]).toBeCloseTo(s * ref[i]!, 4);
    }
  });
});

describe('Quant-Noise (Fan et al. 2020)', () => {
  const [rows, cols, block] = [6, 10, 4]; // blocks per row: [0,4), [4,8), [8,10)
  function quantized(): { w: Float32Array; q: Float32Array; scale: Float32Array; ste: Float32Array } {
    const rng = new Rng(seed);
    const w = new Float32Array(rows * cols).map(() => rng.normal() * 0.3);
    const q = new Float32Array(rows * cols);
    const scale = new Float32Array(rows);
    const ste = new Float32Array(rows * cols);
    quantizeWeights({ method: 'int', bits: 4 }, w, rows, cols, q, scale, ste);
    return { w, q, scale, ste };
  }
  const run = (rate: number, train: boolean, rng = new Rng(seed)): { what: Float32Array; ste: Float32Array; w: Float32Array; qs: Float32Array } => {
    const { w, q, scale, ste } = quantized();
    const qs = q.map((v, i) => v * scale[Math.floor(i / cols)]!);
    const what = qs.slice();
    new QuantNoiseTransform(rate, block, rng).apply(w, what, ste, rows, cols, train);
    return { what, ste, w, qs };
  };

  it('rate 1 and evaluation quantize everything; rate 0 keeps every latent weight with STE 1', () => {
    for (const r of [run(1, true), run(0.5, false)]) expect(Array.from(r.what)).toEqual(Array.from(r.qs));
    const z = run(0, true);
    expect(Array.from(z.what)).toEqual(Array.from(z.w));
    expect(z.ste.every((v) => v === 1)).toBe(true);
  });

  it('each block is quantized whole or not at all, at the given rate', () => {
    const rng = new Rng(seed + 2);
    let quantizedBlocks = 0;
    let blocks = 0;
    for (let step = 0; step < 200; step++) {
      const r = run(0.3, true, rng);
      for (let o = 0; o < rows; o++) {
        for (let b = 0; b < cols; b += block) {
          const idx = Array.from({ length: Math.min(block, cols - b) }, (_, j) => o * cols + b + j);
          // quantized: every w_hat is q s (and one differs from w); not: every w_hat is w with STE 1
          const isQ = idx.every((i) => r.what[i] === r.qs[i]) && idx.some((i) => r.what[i] !== r.w[i]);
          const isW = idx.every((i) => r.what[i] === r.w[i] && r.ste[i] === 1) && idx.some((i) => r.what[i] !== r.qs[i]);
          expect(isQ !== isW, `row ${o} block ${b}`).toBe(true);
          blocks++;
          if (isQ) quantizedBlocks++;
        }
      }
    }
    // binomial(3600, 0.3): sd 27.5; 4 sd
    expect(Math.abs(quantizedBlocks - 0.3 * blocks)).toBeLessThan(4 * Math.sqrt(blocks * 0.3 * 0.7));
  });
});

describe('batch-norm re-estimation after Quant-Noise', () => {
  it('gives the statistics of the fully quantized network (noise detached), and puts the transforms back', () => {
    const spec: NetSpec = { arch: 'tfc', hidden: [6, 5], weights: { method: 'int', bits: 2 }, act: { method: 'pact', bits: 2 } };
    const rng = new Rng(seed);
    const data: ImageDataset = { images: Uint8Array.from({ length: 300 * 784 }, () => rng.int(0, 255)), labels: new Uint8Array(300), count: 300, rows: 28, cols: 28, classes: 10 };
    const stats = (net: Network): number[] => net.layers.flatMap((l) => (l instanceof BatchNorm ? [...l.mean, ...l.var] : []));
    const noisy = buildNetwork(spec, seed);
    attachTransforms(noisy, { quantNoise: 0.5 });
    reestimateBatchNorm(noisy, data, 300);
    expect(noisy.layers.filter((l) => l instanceof Dense).every((l) => (l as Dense).transform instanceof QuantNoiseTransform)).toBe(true);
    const plain = buildNetwork(spec, seed); // the same weights, no transform: every block quantized
    for (const b of batches(fullView(data), 100, null)) plain.forward(b.x, b.n, true);
    expect(stats(noisy)).toEqual(stats(plain));
    const kept = buildNetwork(spec, seed); // the noise left on would give other statistics
    attachTransforms(kept, { quantNoise: 0.5 });
    for (const b of batches(fullView(data), 100, null)) kept.forward(b.x, b.n, true);
    expect(stats(kept)).not.toEqual(stats(plain));
  });
});

/** INQ's rule from the paper, independently: levels P = {0, +-2^n2..+-2^n1}; beta sgn(w) where (alpha + beta)/2 <= |w| < 3 beta / 2 for adjacent alpha < beta in P (alpha = 0 below 2^n2), else 0. */
function inqRef(w: number, maxAbs: number, bits: number): number {
  const n1 = Math.floor(Math.log2((4 * maxAbs) / 3));
  const n2 = n1 + 1 - 2 ** (bits - 1) / 2;
  const pos = [0];
  for (let k = n2; k <= n1; k++) pos.push(2 ** k);
  for (let j = 1; j < pos.length; j++) {
    const [alpha, beta] = [pos[j - 1]!, pos[j]!];
    if ((alpha + beta) / 2 <= Math.abs(w) && Math.abs(w) < (3 * beta) / 2) return Math.sign(w) * beta;
  }
  return 0;
}

describe('INQ (Zhou et al. 2017)', () => {
  it('freezes the largest-magnitude portions 50/75/87.5/100% onto powers of two or zero by the paper\'s rule', () => {
    const rng = new Rng(seed);
    const w = new Float32Array(64).map(() => rng.normal() * 0.2);
    const maxAbs = w.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
    const inq = new InqTransform(5, w.length);
    const order = Array.from(w.keys()).sort((a, b) => Math.abs(w[b]!) - Math.abs(w[a]!));
    let before: Uint8Array = new Uint8Array(64);
    for (const f of [0.5, 0.75, 0.875, 1]) {
      inq.partition(w, f);
      const frozen = Array.from(inq.frozen.keys()).filter((i) => inq.frozen[i]);
      expect(new Set(frozen)).toEqual(new Set(order.slice(0, Math.round(f * 64))));
      for (const i of frozen) expect(inq.level[i], `w ${w[i]}`).toBe(Math.fround(inqRef(w[i]!, maxAbs, 5)));
      for (let i = 0; i < 64; i++) if (before[i]) expect(inq.frozen[i]).toBe(1);
      before = inq.frozen.slice();
    }
    const levels = new Set(Array.from(inq.level, (v) => Math.abs(v)));
    for (const v of levels) expect(v === 0 || Number.isInteger(Math.log2(v))).toBe(true);
    expect(levels.size).toBeLessThanOrEqual(9); // 0 and 8 exponents at 5 bits
  });

  it('the level set is fixed at the first partition; frozen weights keep their level through training', () => {
    const { net, l } = denseWith(12, 6, (w) => new InqTransform(5, w.length));
    const inq = l.transform as InqTransform;
    inq.partition(l.weight.value, 0.5);
    const range = { ...inq.range! };
    const { x, r } = batch(12, 6, 5);
    const opt = new Optimizer(net.params(), { name: 'adam', lr: 0.05 });
    const w0 = l.weight.value.slice();
    for (let s = 0; s < 5; s++) {
      opt.zeroGrad();
      lossAndGrads(net, x, r, 5);
      for (let i = 0; i < w0.length; i++) if (inq.frozen[i]) expect(l.weight.grad[i]).toBe(0);
      opt.step(0.05);
    }
    const eff = l.effectiveWeights();
    for (let i = 0; i < w0.length; i++) {
      if (inq.frozen[i]) expect(eff[i]).toBe(inq.level[i]);
      else expect(eff[i]).not.toBe(w0[i]);
    }
    l.weight.value.fill(5); // a larger max does not move the range
    inq.partition(l.weight.value, 0.75);
    expect(inq.range).toEqual(range);
  });
});

describe('centroid fine-tuning of shared weights (Deep Compression)', () => {
  it('magnitude pruning removes the smallest |w| (ties by position); pruned weights get no gradient and stay zero', () => {
    const { net, l } = denseWith(8, 5, (w) => {
      w[3] = w[9] = 0.001; // a tie: the lower index goes first
      return new PruneMaskTransform(w, 0.5);
    });
    const pm = l.transform as PruneMaskTransform;
    const w = l.weight.value;
    const order = Array.from(w.keys()).sort((a, b) => Math.abs(w[a]!) - Math.abs(w[b]!) || a - b);
    expect(new Set(Array.from(pm.mask.keys()).filter((i) => !pm.mask[i]))).toEqual(new Set(order.slice(0, 20)));
    const { x, r } = batch(8, 5, 3);
    const opt = new Optimizer(net.params(), { name: 'adam', lr: 0.05 });
    for (let s = 0; s < 3; s++) {
      opt.zeroGrad();
      lossAndGrads(net, x, r, 3);
      for (let i = 0; i < w.length; i++) if (!pm.mask[i]) expect(l.weight.grad[i]).toBe(0);
      opt.step(0.05);
    }
    const eff = l.effectiveWeights();
    for (let i = 0; i < w.length; i++) expect(eff[i] === 0).toBe(!pm.mask[i]);
  });

  it('clusters the nonzero weights by k-means; zeros stay zero; dL/dC_k = sum of its weights\' gradients', () => {
    const [inF, outF, n, K] = [10, 6, 4, 4];
    const { net, l } = denseWith(inF, outF, (w) => {
      for (let i = 0; i < w.length; i += 3) w[i] = 0; // pruned
      return new SharedWeightsTransform(w, K, 7);
    });
    const sw = l.transform as SharedWeightsTransform;
    const w = l.weight.value;
    const nz = Array.from(w).filter((v) => v !== 0);
    const km = kmeans1d(nz, K, 7);
    expect(Array.from(sw.centroids.value)).toEqual(Array.from(km.centroids, Math.fround));
    const eff = l.effectiveWeights();
    let j = 0;
    for (let i = 0; i < w.length; i++) {
      if (w[i] === 0) expect(eff[i]).toBe(0);
      else expect(eff[i]).toBe(Math.fround(km.centroids[km.assign[j++]!]!));
    }
    const { x, r } = batch(inF, outF, n);
    lossAndGrads(net, x, r, n);
    const ref = dwhatRef(x, r, n, inF, outF);
    const sums = new Float64Array(K);
    for (let i = 0; i < w.length; i++) if (sw.assign[i]! >= 0) sums[sw.assign[i]!] += ref[i]!;
    for (let k = 0; k < K; k++) expect(sw.centroids.grad[k]).toBeCloseTo(sums[k]!, 4);
    expect(l.weight.grad.every((g) => g === 0)).toBe(true);
    const opt = new Optimizer(net.params(), { name: 'adam', lr: 0.01 });
    opt.step(0.01);
    const after = l.effectiveWeights();
    expect(new Set(Array.from(after).filter((v) => v !== 0)).size).toBeLessThanOrEqual(K);
    for (let i = 0; i < w.length; i++) if (w[i] === 0) expect(after[i]).toBe(0);
    expect(Array.from(after)).not.toEqual(Array.from(eff));
  });
});
