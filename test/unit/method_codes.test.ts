import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dense } from '../../src/train/dense.js';
import { Conv2d } from '../../src/train/conv.js';
import { TtqTransform, ttqScaleGrid } from '../../src/train/ttq.js';
import { InqTransform } from '../../src/train/inq.js';
import { buildNetwork } from '../../src/train/arch.js';
import { attachTransforms, runStages, weightedLayers, type MethodOptions } from '../../src/train/methods.js';
import { train, testAccuracy } from '../../src/train/trainer.js';
import { trainConfigFor, integerAccuracy } from '../../src/train/run.js';
import { exportQuantized } from '../../src/train/export.js';
import { loadMnist } from '../../src/data/mnist.js';
import { loadQuantizedModel } from '../../src/model/format.js';
import type { DenseLayer } from '../../src/model/types.js';
import { intFormat } from '../../src/arith/format.js';
import { Rng, testSeed } from '../../src/util/rng.js';
import { mnistSubset } from './helpers/mnist_subset.js';
import { runCli } from './helpers/cli.js';

const seed = testSeed(20);

describe('TTQ scale grid: w_p = c_p 2^e, w_n = c_n 2^e, e = floor(log2 max) - (B - 1)', () => {
  it('hand-computed grids, the clamps to 1..2^B - 1', () => {
    // max 0.3: floor(log2 0.3) = -2, B = 3: e = -4 (unit 1/16); 0.3 * 16 = 4.8 -> 5, 0.2 * 16 = 3.2 -> 3
    expect(ttqScaleGrid(0.3, 0.2, 3)).toEqual({ cp: 5, cn: 3, e: -4 });
    // an exact power of two at the top: 0.5 = 2^-1, B = 2: e = -2, both 2
    expect(ttqScaleGrid(0.5, 0.5, 2)).toEqual({ cp: 2, cn: 2, e: -2 });
    // 0.99 * 4 = 3.96 rounds to 4 = 2^B: clamped to 3; 0.01 * 4 rounds to 0: clamped to 1
    expect(ttqScaleGrid(0.99, 0.01, 2)).toEqual({ cp: 3, cn: 1, e: -2 });
    // B = 8: 0.75 = 3 * 2^-2, e = -8: 192; 0.123 * 256 = 31.49 -> 31
    expect(ttqScaleGrid(0.123, 0.75, 8)).toEqual({ cp: 31, cn: 192, e: -8 });
  });
});

describe('training-method codes: w_hat = q * scale exactly', () => {
  it('TTQ with --ttq-scale-bits: codes {-c_n, 0, c_p}, one power-of-two scale, (B + 1)-bit format', () => {
    const l = new Dense(40, 6, { method: 'none', bits: 32 }, false, new Rng(seed));
    const t = new TtqTransform(0.05, l.weight.value, 3);
    l.transform = t;
    t.wp.value[0] = 0.0371;
    t.wn.value[0] = 0.0529;
    const { cp, cn, e } = ttqScaleGrid(0.0371, 0.0529, 3);
    const w = l.effectiveWeights();
    expect(l.codeFormat).toEqual(intFormat(4, true));
    expect(l.integerWeights()).toBe(true);
    const d = t.delta(l.weight.value);
    for (let i = 0; i < w.length; i++) {
      const v = l.weight.value[i]!;
      expect(l.q[i]).toBe(v > d ? cp : v < -d ? -cn : 0);
      expect(w[i]).toBe(l.q[i]! * 2 ** e);
    }
    expect(Array.from(l.scale)).toEqual(new Array(6).fill(2 ** e));
    // without the grid: the paper's float scales, no codes, the layer stays FP32
    const f = new Dense(40, 6, { method: 'none', bits: 32 }, false, new Rng(seed));
    f.transform = new TtqTransform(0.05, f.weight.value);
    f.effectiveWeights();
    expect(f.codeFormat).toBeNull();
    expect(f.integerWeights()).toBe(false);
  });

  it('INQ: no codes until every weight is frozen, then 0 / +-2^j of n1 - n2 + 2 bits, scale 2^n2 (conv too)', () => {
    const c = new Conv2d(2, 3, 3, 1, 1, 6, 6, { method: 'none', bits: 32 }, false, new Rng(seed));
    const inq = new InqTransform(4, c.weight.value.length);
    c.transform = inq;
    inq.partition(c.weight.value, 0.5);
    c.effectiveWeights();
    expect(c.codeFormat).toBeNull();
    inq.partition(c.weight.value, 1);
    const w = c.effectiveWeights();
    const { n1, n2 } = inq.range!;
    expect(c.codeFormat).toEqual(intFormat(n1 - n2 + 2, true));
    for (let i = 0; i < w.length; i++) {
      const q = c.q[i]!;
      expect(q === 0 || (Number.isInteger(Math.log2(Math.abs(q))) && Math.abs(q) <= 2 ** (n1 - n2)), `q ${q}`).toBe(true);
      expect(w[i]).toBe(q * 2 ** n2);
      expect(w[i]).toBe(inq.level[i]);
    }
    expect(Array.from(c.scale)).toEqual(new Array(3).fill(2 ** n2));
  });
});

/** Trains tfc 32,32 with the method and quantized activations on a small subset; returns the network and data. */
function trainWith(m: MethodOptions, abits: number, dir: string) {
  const data = loadMnist('train', dir);
  const test = loadMnist('test', dir);
  const o = { arch: 'tfc' as const, hidden: [32, 32], wbits: 32, abits, epochs: 4, seed, valCount: 200, maxTrain: 800, ...m };
  const cfg = trainConfigFor(o);
  const net = buildNetwork(cfg.net, cfg.seed);
  attachTransforms(net, o);
  const r = train(cfg, data, { net });
  const st = runStages(r.net, cfg.net, cfg, o, data, test);
  return { net: st.net, test };
}

describe('INQ and TTQ with quantized activations export exact-level QuantizedModels', () => {
  const dir = mnistSubset(1000, 400);
  for (const [name, m, abits] of [
    ['INQ 5-bit, 4-bit activations', { inq: [0.5, 1], inqBits: 5, stageEpochs: 1 }, 4],
    ['TTQ (3-bit scale grid), 2-bit activations', { ttq: 0.05, ttqScaleBits: 3 }, 2],
  ] as [string, MethodOptions, number][]) {
    it(`${name}: the model's codes are the trained levels; integer accuracy = the network's exact mode; float forward within 1 % of images`, () => {
      const { net, test } = trainWith(m, abits, dir);
      const model = exportQuantized(net, 'method', { tool: 'test', date: '', source: '', accuracy: [], notes: '' });
      const dense = model.layers.filter((l): l is DenseLayer => l.kind === 'dense');
      const layers = weightedLayers(net);
      expect(dense).toHaveLength(layers.length);
      layers.forEach((l, k) => {
        const what = l.effectiveWeights();
        const e = dense[k]!;
        expect(e.weight.format).toEqual(l.codeFormat);
        // one scale per layer, a power of two
        expect(new Set(e.weight.scale).size).toBe(1);
        expect(Number.isInteger(Math.log2(e.weight.scale[0]!))).toBe(true);
        const K = e.inFeatures;
        for (let o = 0; o < e.outFeatures; o++) {
          // the exporter negates a row whose batch-norm scale is negative (thresholds on -acc): same levels up to that sign
          let sign = 0;
          for (let i = 0; i < K; i++) {
            const q = e.weight.data[o * K + i]!;
            if (q !== 0 && sign === 0) sign = Math.sign(q) * Math.sign(what[o * K + i]!);
            expect(Math.abs(q) * e.weight.scale[0]!).toBe(Math.abs(what[o * K + i]!));
            if (q !== 0) expect(Math.sign(q) * Math.sign(what[o * K + i]!)).toBe(sign);
          }
        }
        if (m.ttq !== undefined) {
          const t = l.transform as TtqTransform;
          const { cp, cn } = ttqScaleGrid(t.wp.value[0]!, t.wn.value[0]!, m.ttqScaleBits!);
          expect(new Set(Array.from(e.weight.data, Math.abs))).toEqual(new Set([0, cp, cn]));
        }
      });
      // the network's evaluation (exact mode) and the integer model agree on every image
      const acc = integerAccuracy(model, test);
      expect(acc).toBe(testAccuracy(net, test));
      expect(acc).toBeGreaterThan(0.3); // a classifier (chance: 0.1) after 32 steps
      // the float training forward (float32 GEMM of w_hat, no integer recovery) differs on few images
      const x = Float32Array.from(test.images, (p) => p / 255);
      const y = net.forward(x, test.count, false);
      let agree = 0;
      for (let b = 0; b < test.count; b++) {
        const row = Array.from(y.subarray(b * 10, b * 10 + 10));
        if (row.indexOf(Math.max(...row)) === test.labels[b]) agree++;
      }
      expect(Math.abs(agree / test.count - acc)).toBeLessThanOrEqual(0.01);
    }, 120_000);
  }

  it('lowbit train --ttq with --abits writes a QuantizedModel (and refuses without the scale grid, one line)', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'lowbit-ttq-')), 'm');
    const base = ['train', '--arch', 'tfc', '--hidden', '16,16', '--epochs', '1', '--train-images', '400', '--val-images', '200', '--data', dir, '--abits', '2', '--ttq', '0.05'];
    const bad = await runCli(base);
    expect(bad.code).toBe(2);
    expect(bad.err.trim().split('\n')).toHaveLength(1);
    expect(bad.err).toMatch(/--ttq-scale-bits/);
    const r = await runCli([...base, '--ttq-scale-bits', '3', '--out', out]);
    expect(r.code, r.err.slice(-400)).toBe(0);
    const model = loadQuantizedModel(out);
    const log = JSON.parse(readFileSync(join(out, 'train-log.json'), 'utf8'));
    expect(log.command).toContain('--ttq 0.05 --ttq-scale-bits 3');
    expect(log.testAccuracy).toBe(log.networkTestAccuracy);
    expect(integerAccuracy(model, loadMnist('test', dir))).toBe(log.testAccuracy);
    for (const l of model.layers) if (l.kind === 'dense') expect(l.weight.format).toEqual(intFormat(4, true));
  }, 120_000);
});
