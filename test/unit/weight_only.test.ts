/**
 * Weight-only quantization (integer weights, FP32/FP16/BF16 activations): the activation rounding on known
 * bit patterns, the reference inference against an independent evaluator (Float32Array stores instead of
 * Math.fround, explicit dequantized groups) and a hand-computed case where the float32 order shows, the
 * PTQ codes and scales (per channel and per group) on known values and their error bound, the on-disk
 * round trip and the loader's errors.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Checkpoint } from '../../src/model/checkpoint.js';
import { roundAct, weightOnlyInference, type FloatAct, type WeightOnlyModel, type WoLayer } from '../../src/model/weight_only.js';
import { loadWeightOnlyModel, saveWeightOnlyModel } from '../../src/model/weight_only_io.js';
import { quantizeRows, quantizeWeightOnly } from '../../src/quant/weight_only.js';
import { Rng } from '../../src/util/rng.js';

const tmp = mkdtempSync(join(tmpdir(), 'lowbit-wo-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const f32bits = (v: number): number => new Uint32Array(Float32Array.of(v).buffer)[0];

function model(layers: WoLayer[], inputShape: number[], activation: FloatAct): WeightOnlyModel {
  return {
    format: 'lowbit-weight-only-model', schemaVersion: 1, name: 'wo', inputShape, activation, layers,
    provenance: { tool: 'test', date: '2026-01-01T00:00:00Z', source: 'weight_only.test.ts', accuracy: [] },
  };
}

describe('activation rounding', () => {
  it('FP16 and BF16: round to nearest even on known bit patterns, overflow to inf, subnormals', () => {
    const r = (v: number, a: FloatAct): number => roundAct(Float32Array.of(v), a)[0];
    // FP16 has 10 fraction bits: 1 + 2^-11 is a tie between 1 and 1 + 2^-10 -> 1 (even)
    expect(r(1 + 2 ** -11, 'fp16')).toBe(1);
    expect(r(1 + 3 * 2 ** -11, 'fp16')).toBe(1 + 2 ** -9); // tie between 1+2^-10 (odd) and 1+2^-9 -> even
    expect(r(65519, 'fp16')).toBe(65504);
    expect(r(65520, 'fp16')).toBe(Infinity); // the tie at max + half ulp goes to the even code, inf
    expect(r(2 ** -25, 'fp16')).toBe(0); // half the smallest subnormal: tie -> 0
    expect(r(3 * 2 ** -26, 'fp16')).toBe(2 ** -24);
    // BF16 keeps float32's top 16 bits: 7 fraction bits
    expect(r(1 + 2 ** -8, 'bf16')).toBe(1);
    expect(r(1 + 3 * 2 ** -8, 'bf16')).toBe(1 + 2 ** -6);
    expect(f32bits(r(Math.fround(Math.PI), 'bf16'))).toBe(0x40490000); // 0x40490FDB -> 0x4049
    expect(f32bits(r(Math.fround(Math.PI), 'fp16'))).toBe(f32bits(3.140625)); // FP16 0x4248
    expect(r(Math.fround(0.1), 'fp32')).toBe(Math.fround(0.1));
  });
});

/** Independent evaluator: Float32Array stores round, dequantized groups written out per element. */
function naive(m: WeightOnlyModel, x: Float32Array, batch: number): Float32Array {
  const act = (v: Float32Array): Float32Array => roundAct(v, m.activation);
  let cur = act(Float32Array.from(x));
  let shape = m.inputShape.slice();
  for (const l of m.layers) {
    if (l.kind === 'dense' || l.kind === 'conv2d') {
      const conv = l.kind === 'conv2d';
      const [C, H, W] = conv ? shape : [l.in, 1, 1];
      const O = conv ? l.outC : l.out;
      const k = conv ? l.k : 1;
      const s = conv ? l.stride : 1;
      const p = conv ? l.pad : 0;
      const Ho = conv ? Math.floor((H + 2 * p - k) / s) + 1 : 1;
      const Wo = conv ? Math.floor((W + 2 * p - k) / s) + 1 : 1;
      const K = C * k * k;
      const G = Math.ceil(K / l.weight.group);
      const y = new Float32Array(batch * O * Ho * Wo);
      const f = new Float32Array(3); // [s_g, acc, tmp]
      for (let b = 0; b < batch; b++) {
        for (let o = 0; o < O; o++) {
          for (let oy = 0; oy < Ho; oy++) {
            for (let ox = 0; ox < Wo; ox++) {
              f[1] = 0;
              for (let g = 0; g < G; g++) {
                f[0] = 0;
                for (let kk = g * l.weight.group; kk < Math.min(K, (g + 1) * l.weight.group); kk++) {
                  const c = Math.floor(kk / (k * k));
                  const iy = oy * s - p + Math.floor((kk % (k * k)) / k);
                  const ix = ox * s - p + (kk % k);
                  const xv = iy >= 0 && iy < H && ix >= 0 && ix < W ? cur[b * C * H * W + (c * H + iy) * W + ix] : 0;
                  f[2] = l.weight.data[o * K + kk] * xv;
                  f[0] = f[0] + f[2];
                }
                f[2] = l.weight.scale[o * G + g] * f[0];
                f[1] = f[1] + f[2];
              }
              f[1] = f[1] + (l.bias ? l.bias[o] : 0);
              y[((b * O + o) * Ho + oy) * Wo + ox] = f[1];
            }
          }
        }
      }
      cur = act(y);
      shape = conv ? [O, Ho, Wo] : [O];
    } else if (l.kind === 'relu') cur = cur.map((v) => (v > 0 ? v : 0));
    else if (l.kind === 'hardtanh') cur = cur.map((v) => Math.min(1, Math.max(-1, v)));
    else if (l.kind === 'flatten') shape = [shape.reduce((a, b2) => a * b2, 1)];
    else if (l.kind === 'maxpool2d') {
      const [C, H, W] = shape;
      const [Ho, Wo] = [Math.floor(H / l.k), Math.floor(W / l.k)];
      const y = new Float32Array(batch * C * Ho * Wo);
      for (let bc = 0; bc < batch * C; bc++) {
        for (let oy = 0; oy < Ho; oy++) {
          for (let ox = 0; ox < Wo; ox++) {
            let mx = -Infinity;
            for (let i = 0; i < l.k; i++) for (let j = 0; j < l.k; j++) mx = Math.max(mx, cur[(bc * H + oy * l.k + i) * W + ox * l.k + j]);
            y[(bc * Ho + oy) * Wo + ox] = mx;
          }
        }
      }
      cur = y;
      shape = [C, Ho, Wo];
    }
  }
  return cur;
}

function randomCkpt(rng: Rng): Checkpoint {
  const w = (n: number): Float32Array => Float32Array.from({ length: n }, () => (rng.float() * 2 - 1) * 0.6);
  return {
    format: 'lowbit-fp32', version: 1, arch: 'test', inputShape: [2, 6, 6],
    layers: [
      { kind: 'conv2d', inC: 2, outC: 3, k: 3, stride: 1, pad: 1, weight: w(54), bias: w(3) },
      { kind: 'batchnorm', channels: 3, eps: 1e-5, gamma: w(3), beta: w(3), mean: w(3), var: Float32Array.from({ length: 3 }, () => 0.5 + rng.float()) },
      { kind: 'relu' },
      { kind: 'maxpool2d', k: 2 },
      { kind: 'flatten' },
      { kind: 'dense', in: 27, out: 5, weight: w(135), bias: null },
      { kind: 'hardtanh' },
      { kind: 'dense', in: 5, out: 4, weight: w(20), bias: w(4) },
    ],
  };
}

describe('the weight-only reference inference', () => {
  it('equals an independent evaluator on CNNs, every activation format, per-channel and per-group', () => {
    const rng = new Rng(2010);
    for (const act of ['fp32', 'fp16', 'bf16'] as FloatAct[]) {
      for (const [bits, group] of [[4, 0], [3, 5], [2, 1], [8, 7]]) {
        const m = quantizeWeightOnly(randomCkpt(rng), { bits, group, activation: act, name: 't', source: 'test' });
        const x = Float32Array.from({ length: 3 * 72 }, () => rng.float() * 4 - 2);
        const got = weightOnlyInference(m, x, 3);
        expect(Array.from(got)).toEqual(Array.from(naive(m, x, 3)));
      }
    }
  });

  it('hand-computed: sums are float32 and sequential within a group, then scaled and added per group', () => {
    // codes [1, 1, -1, 1], x = [2^24, 1, 2^24, 1]: in float32, 2^24 + 1 = 2^24 (tie to even)
    const l: WoLayer = { kind: 'dense', name: 'd', in: 4, out: 1, weight: { bits: 2, data: Int32Array.of(1, 1, -1, 1), group: 2, scale: Float32Array.of(1, 0.5) }, bias: Float32Array.of(0.25) };
    const x = Float32Array.of(2 ** 24, 1, 2 ** 24, 1);
    // group 0: 2^24 + 1 -> 2^24; group 1: -2^24 + 1 = -16777215 (exact); acc = 2^24 + f32(0.5 * -16777215)
    // = 2^24 - 8388607.5 = 8388608.5 -> f32 8388608 (tie to even; ulp 1 at 2^23); + 0.25 -> 8388608
    expect(weightOnlyInference(model([l], [4], 'fp32'), x, 1)[0]).toBe(8388608);
    // one group of 4: ((2^24 + 1) - 2^24) + 1 = 1, * 1 + 0.25 = 1.25
    const one = { ...l, weight: { ...l.weight, group: 4, scale: Float32Array.of(1) } };
    expect(weightOnlyInference(model([one], [4], 'fp32'), x, 1)[0]).toBe(1.25);
    // FP16 activations: x rounds to 2^24 -> inf (beyond 65504): the sum is inf - inf = NaN
    expect(weightOnlyInference(model([one], [4], 'fp16'), x, 1)[0]).toBeNaN();
  });
});

describe('weight-only PTQ', () => {
  it('codes and scales on known values, per group and per channel', () => {
    const w = Float32Array.of(0.5, -1.0, 0.25, 0.1);
    const g = quantizeRows(w, 1, 3, 2); // qmax 3
    expect(Array.from(g.scale)).toEqual([Math.fround(1 / 3), Math.fround(0.25 / 3)]);
    // the float32 scale f32(1/3) is a little above 1/3: 0.5 / s = 1.4999999 -> 1; 0.1 / f32(0.25/3) = 1.2 -> 1
    expect(Array.from(g.data)).toEqual([1, -3, 3, 1]);
    const c = quantizeRows(w, 1, 3, 0);
    expect(c.group).toBe(4);
    expect(Array.from(c.data)).toEqual([1, -3, 1, 0]); // 0.75 -> 1, 0.3 -> 0
    expect(Array.from(quantizeRows(Float32Array.of(0, 0), 1, 4, 0).scale)).toEqual([1]); // all-zero row
  });

  it('every weight is within half a step of its dequantized value; groups never increase the error bound', () => {
    const rng = new Rng(2011);
    const rows = 6;
    const K = 50;
    const w = Float32Array.from({ length: rows * K }, () => (rng.float() * 2 - 1) ** 3);
    for (const bits of [2, 3, 4]) {
      for (const group of [0, 8, 16]) {
        const q = quantizeRows(w, rows, bits, group);
        const G = Math.ceil(K / q.group);
        for (let r = 0; r < rows; r++) {
          for (let k = 0; k < K; k++) {
            const s = q.scale[r * G + Math.floor(k / q.group)];
            expect(Math.abs(w[r * K + k] - s * q.data[r * K + k])).toBeLessThanOrEqual(s / 2 + 1e-7);
          }
        }
      }
    }
  });

  it('refuses binary (sign) activations and an unfoldable batch-norm with one line', () => {
    const ck: Checkpoint = { format: 'lowbit-fp32', version: 1, arch: 't', inputShape: [2], layers: [{ kind: 'dense', in: 2, out: 2, weight: new Float32Array(4), bias: null }, { kind: 'sign' }] };
    expect(() => quantizeWeightOnly(ck, { bits: 4, group: 0, activation: 'fp16', name: 'x', source: 's' })).toThrow(/sign activation makes binary activations/);
  });
});

describe('weight-only model files', () => {
  it('save and load give the same model and outputs', () => {
    const m = quantizeWeightOnly(randomCkpt(new Rng(2012)), { bits: 3, group: 4, activation: 'bf16', name: 'rt', source: 'test' });
    const dir = join(tmp, 'rt');
    saveWeightOnlyModel(m, dir);
    const back = loadWeightOnlyModel(dir);
    expect(back).toEqual(m);
    const x = Float32Array.from({ length: 72 }, (_, i) => Math.sin(i));
    expect(Array.from(weightOnlyInference(back, x, 1))).toEqual(Array.from(weightOnlyInference(m, x, 1)));
  });

  it('the loader names the file and the field', () => {
    const m = quantizeWeightOnly(randomCkpt(new Rng(2013)), { bits: 2, group: 0, activation: 'fp16', name: 'bad', source: 'test' });
    const dir = join(tmp, 'bad');
    saveWeightOnlyModel(m, dir);
    writeFileSync(join(dir, 'blobs/0_conv2d0.codes.bin'), Int8Array.from({ length: 54 }, () => 2));
    expect(() => loadWeightOnlyModel(dir)).toThrow(/0_conv2d0\.codes\.bin: code 0 = 2 outside int2 \[-1, 1\]/);
    writeFileSync(join(dir, 'blobs/0_conv2d0.codes.bin'), new Int8Array(10));
    expect(() => loadWeightOnlyModel(dir)).toThrow(/0_conv2d0\.codes\.bin: 10 bytes; expected 54/);
    writeFileSync(join(dir, 'blobs/0_conv2d0.codes.bin'), new Int8Array(54));
    writeFileSync(join(dir, 'blobs/0_conv2d0.scales.bin'), new Uint8Array(Float32Array.of(1, -1, 1).buffer));
    expect(() => loadWeightOnlyModel(dir)).toThrow(/scale 1 = -1; scales are finite and > 0/);
  });
});
