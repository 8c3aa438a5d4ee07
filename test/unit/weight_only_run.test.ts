/**
 * `lowbit run` and `lowbit estimate` on a weight-only model: run measures the reference's accuracy (no
 * accelerator: --design refused in one line), estimate reports MACs, memory and energy by the formulas of
 * src/estimate/weight_only.ts, recomputed here from the layer shapes.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMnist } from '../../src/data/mnist.js';
import { saveCheckpoint, type Checkpoint } from '../../src/model/checkpoint.js';
import { weightOnlyInference } from '../../src/model/weight_only.js';
import { saveWeightOnlyModel } from '../../src/model/weight_only_io.js';
import { quantizeWeightOnly } from '../../src/quant/weight_only.js';
import { Rng } from '../../src/util/rng.js';
import { runCli as run } from './helpers/cli.js';

describe('run and estimate on a weight-only model', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lowbit-wo-run-'));
  const rng = new Rng(2021);
  const w = (n: number): Float32Array => Float32Array.from({ length: n }, () => (rng.float() * 2 - 1) * 0.3);
  // conv 1->4, 5x5, stride 2, pad 1: 28 -> 13; maxpool 2 -> 6; flatten 144; dense 144 -> 10
  const ckpt: Checkpoint = {
    format: 'lowbit-fp32', version: 1, arch: 'tiny-cnn', inputShape: [1, 28, 28],
    layers: [
      { kind: 'conv2d', inC: 1, outC: 4, k: 5, stride: 2, pad: 1, weight: w(4 * 25), bias: w(4) }, { kind: 'relu' }, { kind: 'maxpool2d', k: 2 },
      { kind: 'flatten' }, { kind: 'dense', in: 144, out: 10, weight: w(1440), bias: null },
    ],
  };
  saveCheckpoint(join(dir, 'ckpt'), ckpt);
  const model = quantizeWeightOnly(ckpt, { bits: 3, group: 10, activation: 'fp16', name: 'tiny', source: 'test' });
  const out = join(dir, 'tiny-w3afp16');
  saveWeightOnlyModel(model, out);

  it('run: the reference accuracy on MNIST test images; accelerator options refused in one line', async () => {
    const r = await run(['run', '--model', out, '--images', '300', '--json']);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    const test = loadMnist('test');
    const x = Float32Array.from(test.images.subarray(0, 300 * 784), (p) => p / 255);
    const y = weightOnlyInference(model, x, 300);
    let ok = 0;
    for (let i = 0; i < 300; i++) {
      let best = 0;
      for (let c = 1; c < 10; c++) if (y[i * 10 + c]! > y[i * 10 + best]!) best = c;
      if (best === test.labels[i]) ok++;
    }
    expect(j).toMatchObject({ model: 'tiny', weightOnly: true, activation: 'fp16', images: 300, accuracy: { reference: ok / 300 } });
    for (const extra of [['--design', 'int8-mnist'], ['--rtl'], ['--batch', '2'], ['--out', join(dir, 'imgs')]]) {
      const bad = await run(['run', '--model', out, '--images', '1', ...extra]);
      expect(bad.code, extra.join(' ')).toBe(2);
      expect(bad.err.trim().split('\n')).toHaveLength(1);
      expect(bad.err).toMatch(new RegExp(`${extra[0]} does not apply here: model .* is weight-only \\(float activations\\) and the accelerator's datapath has integer activations only; remove it \\(run evaluates the weight-only reference\\)`));
    }
  });

  it('estimate: MACs, groups, weight and activation memory, energy by the stated formulas', async () => {
    const r = await run(['estimate', '--model', out, '--json']);
    expect(r.code, r.err).toBe(0);
    const e = JSON.parse(r.out);
    // conv: 4 channels x 13 x 13 outputs, K = 25 (groups of 10: 3); dense: 10 outputs, K = 144 (15 groups)
    const convMacs = 4 * 169 * 25;
    const denseMacs = 10 * 144;
    expect(e.layers.map((l: { macs: number; groups: number }) => [l.macs, l.groups])).toEqual([[convMacs, 4 * 169 * 3], [denseMacs, 10 * 15]]);
    expect(e.macs).toBe(convMacs + denseMacs);
    const weightBits = 100 * 3 + 4 * 3 * 32 + 4 * 32 + 1440 * 3 + 10 * 15 * 32;
    expect(e.memory).toMatchObject({ weightBits, fp32WeightBits: (100 + 4 + 1440) * 32, fp16WeightBits: (100 + 4 + 1440) * 16 });
    // tensors: input 784, conv 676, relu 676, pool 144, flatten 144, dense 10; peak pair 784 + 676
    const acts = 784 + 676 + 676 + 144 + 144 + 10;
    expect(e.memory.activationBits).toEqual({ fp32: acts * 32, fp16: acts * 16, bf16: acts * 16 });
    expect(e.memory.peakActivationBits.fp16).toBe((784 + 676) * 16);
    // Horowitz 45 nm: FP16 multiply 1.1 pJ, FP32 add 0.9, FP32 multiply 3.7, SRAM 5 pJ / 32 bits
    const compute = (convMacs + denseMacs) * (1.1 + 0.9) + (4 * 169 * 3 + 150) * (3.7 + 0.9) + 4 * 169 * 0.9;
    expect(e.energy.computePJ).toBeCloseTo(compute, 6);
    const traffic = 784 + 2 * (acts - 784);
    expect(e.energy.sramPJ).toBeCloseTo((weightBits + traffic * 16) * (5 / 32), 6);
    const fp32 = (convMacs + denseMacs) * (3.7 + 0.9) + 4 * 169 * 0.9 + ((1544) * 32 + traffic * 32) * (5 / 32);
    expect(e.energy.fp32TotalPJ).toBeCloseTo(fp32, 6);
    const text = await run(['estimate', '--model', out]);
    expect(text.code, text.err).toBe(0);
    expect(text.out).toMatch(/weight-only, fp16 activations/);
    expect(text.out).toMatch(/code x fp16 1\.100/);
    const bad = await run(['estimate', '--model', out, '--design', 'int8']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--design does not apply here: model .* is weight-only/);
  });
});
