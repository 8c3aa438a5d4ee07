import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { fakeQuantAffine, fakeQuantLearnable, fakeQuantLearnableBackward } from '../../src/train/fake_quant.js';
import { lsqWeightStepGrad, quantizeWeights } from '../../src/train/quantizers.js';
import { Activation } from '../../src/train/activations.js';

/** Values made by torch (test/unit/fixtures/torch/fake_quant.py); floats as float32 bit patterns. */
const fx = JSON.parse(readFileSync(new URL('./fixtures/torch/fake_quant.json', import.meta.url), 'utf8'));

function f32(hex: string[]): Float32Array {
  return new Float32Array(Uint32Array.from(hex, (h) => parseInt(h, 16)).buffer);
}

/** Bit patterns, so that -0 and +0 (and NaN payloads) are told apart. */
function hex(a: Float32Array): string[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length), (v) => v.toString(16).padStart(8, '0'));
}

interface Case { scale: string[]; zeroPoint: number; qmin: number; qmax: number; gradFactor: string[]; x: string[]; dy: string[];
  perTensor?: { y: string[]; dx: string[] };
  learnable: { y: string[]; dx: string[]; dscale: string[]; dzeroPoint: string[]; dscaleEach: string[]; dzeroPointEach: string[] } }

/**
 * The fixture's per-element scale / zero-point gradients are torch's sums over one element (one call per
 * element), and a sum starts from +0, so a -0 term reads +0 there: compare term + 0.
 */
function asSum(a: Float32Array): string[] {
  return hex(a.map((v) => v + 0));
}

/** The sum of float32 terms in any order is within n half-ulps of the largest partial sum of the exact sum. */
function closeSum(mine: number, torch: number, each: Float32Array): void {
  const bound = each.reduce((a, v) => a + Math.abs(v), 0) * each.length * 2 ** -24;
  expect(Math.abs(mine - torch)).toBeLessThanOrEqual(bound);
}

describe(`PyTorch fake quantizers, bit-exact (fixture from torch ${fx.torch})`, () => {
  const cases = fx.perTensor as Case[];
  it('covers integer and fractional zero points, ties and saturated values', () => {
    expect(cases.length).toBe(8);
    expect(cases.filter((c) => c.perTensor).length).toBe(5);
  });

  cases.forEach((c, j) => {
    const x = f32(c.x);
    const dy = f32(c.dy);
    const s = f32(c.scale);
    const g = f32(c.gradFactor)[0]!;
    if (c.perTensor) {
      it(`case ${j}: fake_quantize_per_tensor_affine output and input gradient (s ${s[0]}, zp ${c.zeroPoint}, [${c.qmin}, ${c.qmax}])`, () => {
        const mask = new Float32Array(x.length);
        const y = fakeQuantAffine(x, s, [c.zeroPoint], c.qmin, c.qmax, x.length, new Float32Array(x.length), mask);
        expect(hex(y)).toEqual(c.perTensor!.y);
        expect(hex(dy.map((d, i) => d * mask[i]!))).toEqual(c.perTensor!.dx);
      });
    }
    it(`case ${j}: _fake_quantize_learnable_per_tensor_affine output and gradients wrt x, scale, zero point (zp ${c.zeroPoint})`, () => {
      const y = fakeQuantLearnable(x, s, [c.zeroPoint], c.qmin, c.qmax, x.length, new Float32Array(x.length));
      expect(hex(y)).toEqual(c.learnable.y);
      const gr = fakeQuantLearnableBackward(dy, x, s, [c.zeroPoint], c.qmin, c.qmax, x.length, g);
      expect(hex(gr.dx)).toEqual(c.learnable.dx);
      expect(asSum(gr.dscaleEach)).toEqual(c.learnable.dscaleEach);
      expect(asSum(gr.dzeroPointEach)).toEqual(c.learnable.dzeroPointEach);
      closeSum(gr.dscale[0]!, f32(c.learnable.dscale)[0]!, gr.dscaleEach);
      closeSum(gr.dzeroPoint[0]!, f32(c.learnable.dzeroPoint)[0]!, gr.dzeroPointEach);
    });
  });

  it('fake_quantize_per_channel_affine and the learnable per-channel quantizer (axis 0, 4 channels)', () => {
    const p = fx.perChannel;
    const x = f32(p.x);
    const dy = f32(p.dy);
    const s = f32(p.scale);
    const inner = x.length / p.channels;
    const mask = new Float32Array(x.length);
    const y = fakeQuantAffine(x, s, p.zeroPoint, p.qmin, p.qmax, inner, new Float32Array(x.length), mask);
    expect(hex(y)).toEqual(p.perChannel.y);
    expect(hex(dy.map((d, i) => d * mask[i]!))).toEqual(p.perChannel.dx);
    expect(hex(fakeQuantLearnable(x, s, p.zeroPoint, p.qmin, p.qmax, inner, new Float32Array(x.length)))).toEqual(p.learnable.y);
    const gr = fakeQuantLearnableBackward(dy, x, s, p.zeroPoint, p.qmin, p.qmax, inner, f32(p.gradFactor)[0]!);
    expect(hex(gr.dx)).toEqual(p.learnable.dx);
    expect(asSum(gr.dscaleEach)).toEqual(p.learnable.dscaleEach);
    expect(asSum(gr.dzeroPointEach)).toEqual(p.learnable.dzeroPointEach);
    const ts = f32(p.learnable.dscale);
    const tz = f32(p.learnable.dzeroPoint);
    for (let c = 0; c < p.channels; c++) {
      closeSum(gr.dscale[c]!, ts[c]!, gr.dscaleEach.subarray(c * inner, (c + 1) * inner));
      closeSum(gr.dzeroPoint[c]!, tz[c]!, gr.dzeroPointEach.subarray(c * inner, (c + 1) * inner));
    }
  });
});

describe('lowbit\'s LSQ quantizers are PyTorch\'s learnable fake quantizers', () => {
  const cases = fx.perTensor as Case[];
  it('LSQ 4-bit weights (a row of 96, range [-7, 7]): q * s, the STE mask and dL/ds equal torch (case 2)', () => {
    const c = cases[2]!;
    const x = f32(c.x);
    const dy = f32(c.dy);
    const s = f32(c.scale);
    const q = new Float32Array(96);
    const scale = new Float32Array(1);
    const ste = new Float32Array(96);
    quantizeWeights({ method: 'lsq', bits: 4 }, x, 1, 96, q, scale, ste, s);
    expect(hex(q.map((v) => v * scale[0]!))).toEqual(c.learnable.y);
    expect(hex(dy.map((d, i) => d * ste[i]!))).toEqual(c.learnable.dx);
    const dstep = new Float32Array(1);
    lsqWeightStepGrad(x, dy, s, 1, 96, 4, dstep);
    const gr = fakeQuantLearnableBackward(dy, x, s, [0], -7, 7, 96, 1 / Math.sqrt(96 * 7));
    expect(asSum(gr.dscaleEach)).toEqual(c.learnable.dscaleEach);
    expect(dstep[0]).toBe(gr.dscale[0]);
    closeSum(dstep[0]!, f32(c.learnable.dscale)[0]!, gr.dscaleEach);
  });

  it('LSQ 2-bit activations (96 values, range [0, 3]): output, dL/dx and dL/ds equal torch (case 7)', () => {
    const c = cases[7]!;
    const x = f32(c.x);
    const dy = f32(c.dy);
    const a = new Activation('lsq', 2);
    a.setSampleSize(96);
    a.alpha!.value[0] = f32(c.scale)[0]!;
    expect(hex(a.forward(x, 1, false).slice(0, 96))).toEqual(c.learnable.y);
    expect(hex(a.backward(dy, 1).slice(0, 96))).toEqual(c.learnable.dx);
    const gr = fakeQuantLearnableBackward(dy, x, f32(c.scale), [0], 0, 3, 96, 1 / Math.sqrt(96 * 3));
    expect(asSum(gr.dscaleEach)).toEqual(c.learnable.dscaleEach);
    expect(a.alpha!.grad[0]).toBe(gr.dscale[0]);
    closeSum(a.alpha!.grad[0]!, f32(c.learnable.dscale)[0]!, gr.dscaleEach);
    // the integer the export's thresholds are found from is the same function
    for (let i = 0; i < 96; i++) expect(Math.fround(a.quantInt(x[i]!) * a.outScale())).toBe(f32(c.learnable.y)[i]);
  });
});
