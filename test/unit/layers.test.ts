import { describe, it, expect } from 'vitest';
import { Dense } from '../../src/train/dense.js';
import { Conv2d, MaxPool2d } from '../../src/train/conv.js';
import { BatchNorm } from '../../src/train/norm.js';
import { Activation } from '../../src/train/activations.js';
import { softmaxCrossEntropy } from '../../src/train/loss.js';
import type { Layer } from '../../src/train/layer.js';
import { Network, Scale } from '../../src/train/network.js';
import { Rng, testSeed } from '../../src/util/rng.js';

const seed = testSeed(11);

/** L = sum_i y_i * r_i; checks dL/dx and dL/dparams of `layer` against central differences. */
function gradCheck(make: () => Layer, inSize: number, n: number, tol = 2e-2): void {
  const rng = new Rng(seed);
  const layer = make();
  const net = new Network([inSize], [layer]);
  const outSize = net.outSize;
  const x = new Float32Array(n * inSize).map(() => rng.normal());
  const r = new Float64Array(n * outSize).map(() => rng.normal());
  const loss = (): number => {
    const y = net.forward(x, n, true);
    let s = 0;
    for (let i = 0; i < n * outSize; i++) s += y[i]! * r[i]!;
    return s;
  };
  loss();
  for (const p of layer.params()) p.grad.fill(0);
  const dy = Float32Array.from(r);
  const dx = net.layers[0]!.backward(dy, n).slice();
  const eps = 1e-2;
  const check = (arr: Float32Array, i: number, analytic: number, what: string): void => {
    const v = arr[i]!;
    arr[i] = v + eps;
    const lp = loss();
    arr[i] = v - eps;
    const lm = loss();
    arr[i] = v;
    const num = (lp - lm) / (2 * eps);
    expect(Math.abs(num - analytic), `${what}[${i}]: numeric ${num} analytic ${analytic} (seed ${seed})`).toBeLessThan(tol * Math.max(1, Math.abs(num)));
  };
  for (let k = 0; k < 12; k++) {
    const i = rng.int(0, n * inSize - 1);
    check(x, i, dx[i]!, 'dx');
  }
  for (const p of layer.params()) {
    const g = p.grad.slice();
    for (let k = 0; k < 8; k++) {
      const i = rng.int(0, p.value.length - 1);
      check(p.value, i, g[i]!, p.name);
    }
  }
}

describe('layer gradients equal finite differences', () => {
  it('dense (FP32, with bias)', () => gradCheck(() => new Dense(13, 7, { method: 'none', bits: 32 }, true, new Rng(seed)), 13, 5));
  it('batch-norm (training statistics)', () => gradCheck(() => new BatchNorm(6), 6, 8));
  it('batch-norm over channels of a feature map', () => gradCheck(() => new BatchNorm(3, 4), 12, 4));
  it('conv2d (stride 1 pad 1, stride 2 pad 0)', () => {
    gradCheck(() => new Conv2d(2, 3, 3, 1, 1, 5, 5, { method: 'none', bits: 32 }, true, new Rng(seed)), 50, 3);
    gradCheck(() => new Conv2d(2, 2, 3, 2, 0, 7, 7, { method: 'none', bits: 32 }, false, new Rng(seed)), 98, 2);
  });
  it('max-pooling (distinct values, so the max is stable under the probe)', () => gradCheck(() => new MaxPool2d(2, 4, 4, 2), 32, 3));
  it('relu and hardtanh away from the kinks', () => {
    gradCheck(() => new Activation('relu', 32), 20, 3);
    gradCheck(() => new Activation('hardtanh', 32), 20, 3);
  });
  it('logit scale', () => gradCheck(() => new Scale(0.7), 10, 4));
  it('softmax cross-entropy gradient', () => {
    const rng = new Rng(seed);
    const n = 4;
    const C = 5;
    const z = new Float32Array(n * C).map(() => rng.normal());
    const y = Uint8Array.from([0, 3, 4, 1]);
    const dz = new Float32Array(n * C);
    softmaxCrossEntropy(z, y, n, C, dz);
    const tmp = new Float32Array(n * C);
    for (let i = 0; i < n * C; i++) {
      const v = z[i]!;
      z[i] = v + 1e-2;
      const lp = softmaxCrossEntropy(z, y, n, C, tmp).loss;
      z[i] = v - 1e-2;
      const lm = softmaxCrossEntropy(z, y, n, C, tmp).loss;
      z[i] = v;
      expect(Math.abs((lp - lm) / 2e-2 - dz[i]!)).toBeLessThan(1e-3);
    }
  });
});

describe('quantizer straight-through estimators', () => {
  it('sign passes the gradient inside [-1, 1] only; outputs +-1 with sign(0) = +1', () => {
    const a = new Activation('sign', 1);
    new Network([4], [a]);
    const y = a.forward(Float32Array.from([-2, -0.5, 0, 3]), 1, true);
    expect(Array.from(y)).toEqual([-1, -1, 1, 1]);
    expect(Array.from(a.backward(Float32Array.from([1, 2, 3, 4]), 1))).toEqual([0, 2, 3, 0]);
  });
  it('PACT: clip gradient to alpha, pass-through inside', () => {
    const a = new Activation('pact', 2);
    new Network([4], [a]);
    a.alpha!.value[0] = 3;
    const y = a.forward(Float32Array.from([-1, 0.4, 1.6, 5]), 1, true);
    // q = round(clamp(y,0,3) * 3/3): 0, 0, 2, 3; value q * 1
    expect(Array.from(y)).toEqual([0, 0, 2, 3]);
    a.alpha!.grad.fill(0);
    expect(Array.from(a.backward(Float32Array.from([1, 1, 1, 1]), 1))).toEqual([0, 1, 1, 0]);
    expect(a.alpha!.grad[0]).toBe(1);
  });
  it('binary weights: latent weights clip to [-1, 1], q = sign, STE mask', () => {
    const d = new Dense(2, 1, { method: 'binary', bits: 1 }, false, new Rng(seed));
    d.weight.value.set([0.3, -1.5]);
    d.quantize();
    expect(Array.from(d.q)).toEqual([1, -1]);
    expect(d.weight.clip).toEqual([-1, 1]);
  });
});
