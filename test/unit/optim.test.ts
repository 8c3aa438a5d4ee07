import { describe, it, expect } from 'vitest';
import { Optimizer, scheduledLr } from '../../src/train/optim.js';
import { SCALE_CLIP, param } from '../../src/train/layer.js';
import { Dense } from '../../src/train/dense.js';
import { Activation } from '../../src/train/activations.js';
import { Rng } from '../../src/util/rng.js';

describe('optimizers', () => {
  it('SGD with momentum and weight decay follows v = mu v + g + wd w; w -= lr v', () => {
    const p = param('w', 2, true);
    p.value.set([1, -2]);
    const opt = new Optimizer([p], { name: 'sgd', lr: 0.1, momentum: 0.5, weightDecay: 0.25 });
    p.grad.set([2, 4]);
    opt.step(0.1);
    // v = [2 + 0.25, 4 - 0.5] = [2.25, 3.5]; w = [1 - 0.225, -2 - 0.35]
    expect(Array.from(p.value)).toEqual([Math.fround(0.775), Math.fround(-2.35)]);
    p.grad.set([0, 0]);
    opt.step(0.1);
    // v = 0.5 * v + wd * w
    const v0 = 0.5 * 2.25 + 0.25 * Math.fround(0.775);
    expect(p.value[0]).toBe(Math.fround(Math.fround(0.775) - 0.1 * Math.fround(v0)));
  });

  it('Adam: the first step moves each weight by lr * sign(g) (bias-corrected)', () => {
    const p = param('w', 3, false);
    p.value.set([0, 1, 2]);
    p.grad.set([0.5, -3, 1e-3]);
    new Optimizer([p], { name: 'adam', lr: 0.01 }).step(0.01);
    expect(p.value[0]).toBeCloseTo(-0.01, 6);
    expect(p.value[1]).toBeCloseTo(1.01, 6);
    expect(p.value[2]).toBeCloseTo(1.99, 5);
  });

  it('clips BinaryNet latent weights after the update and divides gradients by the loss scale', () => {
    const p = param('w', 2, false, { clip: [-1, 1] });
    p.value.set([0.99, -0.99]);
    p.grad.set([-1024, 1024]);
    new Optimizer([p], { name: 'sgd', lr: 1, momentum: 0 }).step(1, 1024);
    expect(Array.from(p.value)).toEqual([1, -1]);
  });

  it('rejects a non-positive learning rate', () => {
    expect(() => new Optimizer([], { name: 'adam', lr: 0 })).toThrow(/lr: got 0/);
  });
});

describe('learning-rate schedules', () => {
  it('cosine, step, exponential, warm-up', () => {
    const c = { name: 'cosine' as const, epochs: 10 };
    expect(scheduledLr(1, c, 0)).toBe(1);
    expect(scheduledLr(1, c, 5)).toBeCloseTo(0.5, 12);
    expect(scheduledLr(1, c, 10)).toBeCloseTo(0, 12);
    expect(scheduledLr(2, { name: 'step', epochs: 30, every: 10, gamma: 0.1 }, 25)).toBeCloseTo(0.02, 12);
    expect(scheduledLr(1, { name: 'exp', epochs: 5, gamma: 0.5 }, 2)).toBe(0.25);
    expect(scheduledLr(1, { name: 'constant', epochs: 5, warmupEpochs: 2 }, 1)).toBeCloseTo(0.5005, 12);
  });
});

describe('stochastic rounding of low-precision weights (Gupta et al.)', () => {
  it('keeps weights on the fixed-point grid and preserves small updates in expectation', () => {
    const fmt = { bits: 8, intBits: 2, signed: true }; // step 2^-6
    const trials = 2000;
    let sum = 0;
    const p = param('w', trials, true);
    p.value.fill(0.25);
    p.grad.fill(1);
    // one SGD step of 0.001 (1/16 of a grid step): nearest rounding would always undo it
    new Optimizer([p], { name: 'sgd', lr: 0.001, momentum: 0, weightFormat: fmt, seed: 42 }).step(0.001);
    for (const v of p.value) {
      expect(v * 64).toBe(Math.round(v * 64));
      sum += v;
    }
    const mean = sum / trials;
    // E[w] = 0.25 - 0.001; the grid values are 0.25 and 0.25 - 1/64
    expect(Math.abs(mean - 0.249)).toBeLessThan(0.0015);
    expect(mean).toBeLessThan(0.25);
  });
});

describe('learned scales stay positive (PACT clip level, LSQ step sizes)', () => {
  it('an update that would carry them through zero stops at SCALE_CLIP[0]', () => {
    const dense = new Dense(8, 4, { method: 'lsq', bits: 2 }, false, new Rng(1));
    const acts = [new Activation('pact', 2), new Activation('lsq', 2)];
    const scales = [dense.step!, ...acts.map((a) => a.alpha!)];
    const opt = new Optimizer(scales, { name: 'sgd', lr: 1, momentum: 0 });
    for (const p of scales) p.grad.fill(1e3); // w -= lr * g: far below zero without the clamp
    opt.step(1);
    for (const p of scales) for (const v of p.value) expect(v).toBe(Math.fround(SCALE_CLIP[0]));
    // the layers still quantize and report a positive step
    dense.quantize();
    expect(Array.from(dense.scale).every((s) => s > 0)).toBe(true);
    expect(acts.every((a) => a.outScale() > 0)).toBe(true);
  });
});
