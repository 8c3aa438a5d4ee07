import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fitElm, mnistFloat } from './ptq_fixture.js';
import { quantizeCheckpoint, makeScheme, parseCalib, accuracyFp32, accuracyInt, planNetwork, type PtqResult } from '../../src/quant/index.js';
import type { Checkpoint } from '../../src/model/checkpoint.js';
import { fp32Inference } from '../../src/model/fp32_infer.js';
import { integerInference } from '../../src/model/infer.js';
import { saveQuantizedModel, loadQuantizedModel } from '../../src/model/format.js';
import { validateModel } from '../../src/model/validate.js';
import type { DenseLayer, QuantizedModel } from '../../src/model/types.js';
import { loadMnist } from '../../src/data/mnist.js';
import { Rng, testSeed } from '../../src/util/rng.js';

const seed = testSeed(5);
const TEST_N = 2000;
let ckpt: Checkpoint;
let calib: { x: Float32Array };
let set: { images: Uint8Array; labels: Uint8Array; count: number; pixels: number };
let fp32: number;
let small: typeof set;
let fp32Small: number;

function ptq(scheme: string, calibM: string, perChannel: boolean, overrides: string[] = [], c: Checkpoint = ckpt, group = 0): PtqResult {
  return quantizeCheckpoint(c, {
    scheme: makeScheme(scheme, { perChannel, overrides, group }), calib: parseCalib(calibM), calibInputs: calib.x, count: 500, name: `t-${scheme}`, source: 'test',
  });
}

beforeAll(() => {
  ckpt = fitElm(seed, 128, 3000);
  calib = mnistFloat('train', 50000, 500);
  const d = loadMnist('test');
  set = { images: d.images, labels: d.labels, count: TEST_N, pixels: 784 };
  fp32 = accuracyFp32(ckpt, set);
  small = { ...set, count: 1000 };
  fp32Small = accuracyFp32(ckpt, small);
}, 120_000);

describe(`post-training quantization of an MNIST MLP (784-128-BN-ReLU-10, seed ${seed})`, () => {
  it('int8 (w8a8, min-max) loses at most 0.3 points of accuracy; validates and round-trips on disk', () => {
    expect(fp32).toBeGreaterThan(0.75);
    const r = ptq('w8a8', 'minmax', false);
    const acc = accuracyInt(r.model, set);
    process.stderr.write(`fp32 ${fp32}, w8a8 ${acc} on ${TEST_N} test images\n`);
    expect(fp32 - acc).toBeLessThanOrEqual(0.003);
    expect(r.model.layers.map((l) => l.kind)).toEqual(['quantize', 'dense', 'dense']);
    const [q, h, o] = r.model.layers as [QuantizedModel['layers'][0], DenseLayer, DenseLayer];
    expect(q.kind === 'quantize' && q.output).toEqual({ format: { type: 'int', bits: 8, signed: false }, scale: Math.fround(1 / 255), zeroPoint: 0 });
    expect(h.weight.format).toEqual({ type: 'int', bits: 8, signed: true });
    expect(h.output.kind).toBe('requantize');
    expect(o.output.kind).toBe('accumulator');
    expect(o.weight.scale.length).toBe(1);
    validateModel(r.model);
    const dir = join(mkdtempSync(join(tmpdir(), 'lowbit-ptq-')), 'm');
    saveQuantizedModel(r.model, dir);
    const back = loadQuantizedModel(dir);
    const x = mnistFloat('test', 0, 50).x;
    expect(Array.from(integerInference(back, x).output)).toEqual(Array.from(integerInference(r.model, x).output));
  });

  it('per-channel w8a8 and KL/MSE/percentile calibrations stay within a point of FP32', () => {
    for (const [c, pc] of [['minmax', true], ['kl', false], ['mse', true], ['percentile:99.99', false]] as const) {
      const acc = accuracyInt(ptq('w8a8', c, pc).model, small);
      expect(fp32Small - acc, `${c} per-channel=${pc}`).toBeLessThanOrEqual(0.01);
    }
  });

  it('w4a4 uses threshold stages with BN folded in; first/last overrides to 8 bits', () => {
    const r = ptq('w4a4', 'mse', true);
    const h = r.model.layers[1] as DenseLayer;
    expect(h.weight.format).toEqual({ type: 'int', bits: 4, signed: true });
    expect(h.output.kind === 'threshold' && [h.output.steps, h.output.offset, h.output.bipolar]).toEqual([15, 0, false]);
    expect(fp32Small - accuracyInt(r.model, small)).toBeLessThanOrEqual(0.03);
    const o = ptq('w4a4', 'mse', true, ['first=w8a8', 'last=w8a8']);
    expect((o.model.layers[1] as DenseLayer).weight.format).toEqual({ type: 'int', bits: 8, signed: true });
    expect((o.model.layers[2] as DenseLayer).weight.format).toEqual({ type: 'int', bits: 8, signed: true });
  });

  it('pow2: power-of-two scales everywhere and shift-only requantization', () => {
    const r = ptq('pow2', 'minmax', true);
    const h = r.model.layers[1] as DenseLayer;
    const isPow2 = (s: number): boolean => 2 ** Math.round(Math.log2(s)) === s;
    expect(h.output.kind === 'requantize' && h.output.scaling.kind).toBe('shift');
    expect(h.weight.scale.every(isPow2)).toBe(true);
    expect(h.input.scale).toBe(1 / 128);
    expect(h.output.kind === 'requantize' && isPow2(h.output.output.scale)).toBe(true);
    for (const v of h.weight.data) expect(v === 0 || isPow2(Math.abs(v))).toBe(true);
    // INQ without its retraining steps: 4-bit power-of-two weights cost a few points on this network
    expect(fp32Small - accuracyInt(r.model, small)).toBeLessThanOrEqual(0.08);
  });
});

describe('binary and convolutional networks', () => {
  it('w1a1: BN + sign thresholds reproduce a binary-weight network\'s hidden signs and logits', () => {
    const rng = new Rng(seed + 3);
    const H = 64;
    const pm = (n: number): Float32Array => Float32Array.from({ length: n }, () => (rng.float() < 0.5 ? -1 : 1));
    const f = (n: number, g: () => number): Float32Array => Float32Array.from({ length: n }, g);
    const bnn: Checkpoint = {
      format: 'lowbit-fp32', version: 1, arch: 'bnn', inputShape: [784],
      layers: [
        { kind: 'dense', in: 784, out: H, weight: pm(784 * H), bias: null },
        { kind: 'batchnorm', channels: H, eps: 1e-4, gamma: f(H, () => (rng.float() + 0.1) * (rng.float() < 0.3 ? -1 : 1)), beta: f(H, () => rng.normal()), mean: f(H, () => rng.normal() * 10), var: f(H, () => 50 + rng.float() * 50) },
        { kind: 'sign' },
        { kind: 'dense', in: H, out: 10, weight: pm(H * 10), bias: null },
      ],
    };
    const r = ptq('w1a1', 'minmax', true, [], bnn);
    const h = r.model.layers[1] as DenseLayer;
    expect(h.weight.format).toEqual({ type: 'binary' });
    expect(h.output.kind === 'threshold' && h.output.bipolar).toBe(true);
    const x = mnistFloat('test', 0, 300).x;
    const hidden: Int32Array[] = [];
    const yi = integerInference(r.model, x, { onLayer: (i, _l, out) => { if (i === 1) hidden.push(out.slice()); } }).output;
    const signs: Float32Array[] = [];
    const yf = fp32Inference(bnn, x, 300, undefined, (i, out) => { if (i === 2) signs.push(out.slice()); });
    let same = 0;
    for (let i = 0; i < hidden[0].length; i++) if (hidden[0][i] === signs[0][i]) same++;
    expect(same / hidden[0].length).toBeGreaterThan(0.999);
    // logits: the int32 accumulator equals the float logits exactly (±1 inputs, ±1 weights, alpha = 1)
    let agree = 0;
    for (let i = 0; i < yi.length; i++) if (yi[i] === yf[i]) agree++;
    expect(agree / yi.length).toBeGreaterThan(0.99);
  });

  it('a small CNN (conv-ReLU-maxpool-flatten-dense) at w8a8, per channel and with per-group scales (group 4), agrees with FP32 on the argmax', () => {
    const rng = new Rng(seed + 4);
    const f = (n: number, s: number): Float32Array => Float32Array.from({ length: n }, () => rng.normal() * s);
    const cnn: Checkpoint = {
      format: 'lowbit-fp32', version: 1, arch: 'cnn', inputShape: [1, 28, 28],
      layers: [
        { kind: 'conv2d', inC: 1, outC: 4, k: 3, stride: 1, pad: 1, weight: f(36, 0.5), bias: f(4, 0.1) },
        { kind: 'relu' }, { kind: 'maxpool2d', k: 2 }, { kind: 'flatten' },
        { kind: 'dense', in: 4 * 14 * 14, out: 10, weight: f(7840, 0.05), bias: f(10, 0.1) },
      ],
    };
    const x = mnistFloat('test', 0, 200).x;
    const yf = fp32Inference(cnn, x, 200);
    for (const group of [0, 4]) {
      const r = ptq('w8a8', 'minmax', true, [], cnn, group);
      expect(r.model.layers.map((l) => l.kind)).toEqual(['quantize', 'conv2d', 'maxpool2d', 'flatten', 'dense']);
      // conv rows of K = 9 in groups of 4 (4, 4, 1); dense rows of 784 in 196 groups
      const groups = r.model.layers.flatMap((l) => (l.kind === 'conv2d' || l.kind === 'dense' ? [l.weight.group?.multiplier.length ?? 0] : []));
      expect(groups).toEqual(group === 0 ? [0, 0] : [4 * 3, 10 * 196]);
      const yi = integerInference(r.model, x).output;
      let agree = 0;
      for (let b = 0; b < 200; b++) {
        let bi = 0;
        let bf = 0;
        for (let j = 1; j < 10; j++) {
          if (yi[b * 10 + j] > yi[b * 10 + bi]) bi = j;
          if (yf[b * 10 + j] > yf[b * 10 + bf]) bf = j;
        }
        if (bi === bf) agree++;
      }
      expect(agree).toBeGreaterThanOrEqual(196);
    }
  });

  it('rejects a batch-norm after the activation, naming the layer and the allowed pattern', () => {
    const bad: Checkpoint = {
      format: 'lowbit-fp32', version: 1, arch: 'x', inputShape: [4],
      layers: [
        { kind: 'dense', in: 4, out: 2, weight: new Float32Array(8), bias: null }, { kind: 'relu' },
        { kind: 'batchnorm', channels: 2, eps: 0, gamma: new Float32Array(2), beta: new Float32Array(2), mean: new Float32Array(2), var: new Float32Array(2).fill(1) },
      ],
    };
    expect(() => planNetwork(bad)).toThrow(/layers\[2\] \(batchnorm\): batch-norm after an activation \(relu\); allowed per layer: dense\|conv2d \[batchnorm\]/);
  });
});
