import { describe, it, expect } from 'vitest';
import {
  qRange, chooseQParams, quantizeValue, quantizeArray, quantizeWeightMatrix, dequantizeWeights, fakeQuantArray,
  binarizeWeights, ternarizeWeights, pow2Ceil, pow2Weights, pow2Exponent, type UniformSpec,
} from '../../src/quant/index.js';
import { Rng, testSeed } from '../../src/util/rng.js';
import { BINARY, intFormat } from '../../src/arith/index.js';

const S = (bits: number, signed: boolean, symmetric: boolean, narrow = false): UniformSpec => ({ format: intFormat(bits, signed), symmetric, narrow });

describe('uniform quantizer', () => {
  it('integer ranges at the width edges', () => {
    expect(qRange(S(8, true, true))).toEqual({ qmin: -128, qmax: 127 });
    expect(qRange(S(8, true, true, true))).toEqual({ qmin: -127, qmax: 127 });
    expect(qRange(S(8, false, false))).toEqual({ qmin: 0, qmax: 255 });
    expect(qRange(S(1, true, false))).toEqual({ qmin: -1, qmax: 0 });
    expect(qRange(S(1, false, false))).toEqual({ qmin: 0, qmax: 1 });
    expect(qRange(S(2, true, true, true))).toEqual({ qmin: -1, qmax: 1 });
    expect(qRange(S(16, true, true))).toEqual({ qmin: -32768, qmax: 32767 });
    expect(() => chooseQParams(0, 1, S(17, true, true))).toThrow(/spec\.format\.bits: got 17; allowed: an integer 1\.\.16/);
    // the spec's format is the int variant of NumFormat: binary (±1) has its own quantizer (binarizeWeights)
    const binary = { format: BINARY, symmetric: true, narrow: false } as unknown as UniformSpec;
    expect(() => chooseQParams(0, 1, binary)).toThrow(/spec\.format\.type: got "binary"; allowed: 'int'/);
    expect(() => chooseQParams(0, 1, S(8, false, true, true))).toThrow(/spec\.narrow: got true; allowed: false for unsigned/);
  });

  it('rounds half to even, as ONNX QuantizeLinear (rint), and saturates', () => {
    // x / 1 = 2.5 -> 2, 3.5 -> 4, -2.5 -> -2, -3.5 -> -4, 0.5 -> 0, 1.5 -> 2
    const q = quantizeArray([2.5, 3.5, -2.5, -3.5, 0.5, 1.5, 1000, -1000], { scale: 1, zeroPoint: 0 }, S(8, true, true), new Int32Array(8));
    expect(Array.from(q)).toEqual([2, 4, -2, -4, 0, 2, 127, -128]);
    // uint8 with zero point 128: rint(x/s) + zp, clipped to [0, 255]
    expect(quantizeValue(-0.75, 0.5, 128, 0, 255)).toBe(126); // -1.5 -> -2
    expect(quantizeValue(300, 1, 128, 0, 255)).toBe(255);
    // division, not a reciprocal multiply (docs/arithmetic.md section 3): -252, where PyTorch's reciprocal gives -251
    expect(quantizeValue(-160.28717041015625, 0.6373247504234314, 0, -32768, 32767)).toBe(-252);
    expect(() => quantizeValue(NaN, 1, 0, 0, 255)).toThrow(/x: got NaN/);
  });

  it('chooses symmetric and asymmetric scales; zero is exactly representable', () => {
    expect(chooseQParams(-2, 1, S(8, true, true, true))).toEqual({ scale: Math.fround(2 / 127), zeroPoint: 0 });
    expect(chooseQParams(0, 1, S(8, false, true))).toEqual({ scale: Math.fround(1 / 255), zeroPoint: 0 });
    const p = chooseQParams(-1, 3, S(8, false, false));
    expect(p.scale).toBe(Math.fround(4 / 255));
    expect(p.zeroPoint).toBe(64); // 0 - rint(-1 / (4/255)) = rint(63.75) = 64
    expect(quantizeValue(0, p.scale, p.zeroPoint, 0, 255)).toBe(64);
    // a range not holding 0 is widened to hold it
    expect(chooseQParams(2, 4, S(8, false, false))).toEqual({ scale: Math.fround(4 / 255), zeroPoint: 0 });
    expect(chooseQParams(0, 0, S(8, true, true))).toEqual({ scale: 1, zeroPoint: 0 });
    // MNIST pixels: every p / 255 maps back to p
    const px = new Float32Array(256).map((_, i) => i / 255);
    const sp = chooseQParams(0, 1, S(8, false, true));
    expect(Array.from(quantizeArray(px, sp, S(8, false, true), new Int32Array(256)))).toEqual(Array.from({ length: 256 }, (_, i) => i));
  });

  const seed = testSeed(2024);
  it(`per-tensor, per-channel and per-group weights: error within half a step (seed ${seed})`, () => {
    const rng = new Rng(seed);
    const rows = 6;
    const cols = 20;
    const w = new Float32Array(rows * cols).map((_, i) => rng.normal() * (1 + Math.floor(i / cols)));
    const spec = S(4, true, true, true);
    for (const g of ['tensor', 'channel', { groupSize: 8 }] as const) {
      const qw = quantizeWeightMatrix(w, rows, spec, g);
      const nScales = g === 'tensor' ? 1 : g === 'channel' ? rows : rows * 3;
      expect(qw.scale.length).toBe(nScales);
      expect(qw.groupsPerRow).toBe(typeof g === 'object' ? 3 : 1);
      const back = dequantizeWeights(qw, rows, new Float32Array(w.length));
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          const k = g === 'tensor' ? 0 : r * qw.groupsPerRow + (typeof g === 'object' ? Math.floor(c / 8) : 0);
          expect(Math.abs(back[r * cols + c] - w[r * cols + c])).toBeLessThanOrEqual(qw.scale[k] / 2 + 1e-6);
          expect(Math.abs(qw.q[r * cols + c])).toBeLessThanOrEqual(7);
        }
      }
    }
    // per-channel error is never worse than per-tensor on rows of different magnitudes
    const errOf = (g: 'tensor' | 'channel'): number => {
      const b = dequantizeWeights(quantizeWeightMatrix(w, rows, spec, g), rows, new Float32Array(w.length));
      return b.reduce((s, v, i) => s + (v - w[i]) ** 2, 0);
    };
    expect(errOf('channel')).toBeLessThan(errOf('tensor'));
    const fq = fakeQuantArray([0.1, -0.26], { scale: 0.1, zeroPoint: 0 }, S(8, true, true), new Float32Array(2));
    expect(Array.from(fq)).toEqual([Math.fround(0.1), Math.fround(-0.3)]);
  });
});

describe('binary and ternary weights', () => {
  it('XNOR-Net: sign (0 -> +1) and alpha = mean|w| per row', () => {
    const w = Float32Array.from([0.5, -1, 0, 2, -0.25, -0.75, 0.5, 0.5]);
    const r = binarizeWeights(w, 2, true);
    expect(Array.from(r.q)).toEqual([1, -1, 1, 1, -1, -1, 1, 1]);
    expect(Array.from(r.scale)).toEqual([3.5 / 4, 2 / 4]);
    expect(Array.from(binarizeWeights(w, 2, false).scale)).toEqual([5.5 / 8]);
    // alpha = mean|w| minimises ||w - alpha q||^2
    const err = (a: number): number => Array.from(w.subarray(0, 4)).reduce((s, v, i) => s + (v - a * r.q[i]) ** 2, 0);
    expect(err(r.scale[0])).toBeLessThan(err(r.scale[0] + 0.01));
    expect(err(r.scale[0])).toBeLessThan(err(r.scale[0] - 0.01));
  });

  it('TWN: threshold 0.7 mean|w|, scale = mean of the kept |w|', () => {
    // mean|w| = (1 + 0.1 + 0.5 + 2.4) / 4 = 1.0 -> delta 0.7: keep 1, -2.4; drop 0.1, 0.5
    const r = ternarizeWeights(Float32Array.from([1, 0.1, -0.5, -2.4]), 1, true);
    expect(Array.from(r.q)).toEqual([1, 0, 0, -1]);
    expect(r.scale[0]).toBe((1 + Math.fround(2.4)) / 2);
    const z = ternarizeWeights(new Float32Array(4), 2, true);
    expect(Array.from(z.q)).toEqual([0, 0, 0, 0]);
    expect(Array.from(z.scale)).toEqual([1, 1]);
  });
});

describe('power-of-two', () => {
  it('pow2Ceil rounds scales up to a power of two', () => {
    expect(pow2Ceil(1)).toBe(1);
    expect(pow2Ceil(0.3)).toBe(0.5);
    expect(pow2Ceil(1 / 255)).toBe(1 / 128);
    expect(pow2Ceil(2 ** -20)).toBe(2 ** -20);
    expect(pow2Ceil(3)).toBe(4);
    expect(pow2Exponent(0.125)).toBe(-3);
    expect(() => pow2Exponent(0.3)).toThrow(/scale: got 0.3; allowed: a power of two/);
  });

  it('INQ levels {0, ±2^n2..±2^n1} with n1 = floor(log2(4 max/3)), nearest level', () => {
    // max|w| = 1 -> n1 = floor(log2(4/3)) = 0; 4 bits -> n2 = 0 + 1 - 4 = -3: levels 1/8, 1/4, 1/2, 1
    const w = Float32Array.from([1, -0.7, 0.5, 0.37, 0.3, 0.2, 0.1, 0.06, -0.05, 0]);
    const r = pow2Weights(w, 1, 4, false);
    expect(r.scale[0]).toBe(1 / 8);
    expect(r.intBits).toBe(5);
    // 0.7 -> 0.5 (below 0.75); 0.37 -> 0.25 (below 0.375); 0.3 -> 0.25; 0.2 -> 0.25 (>= 0.1875); 0.1 -> 0.125;
    // 0.06 -> 0 (below 1/16); -0.05 -> 0
    expect(Array.from(r.q, (q) => q / 8)).toEqual([1, -0.5, 0.5, 0.25, 0.25, 0.25, 0.125, 0, 0, 0]);
    const two = pow2Weights(Float32Array.from([0.9, -0.4, 0.2]), 1, 2, false);
    // n1 = floor(log2(1.2)) = 0, n2 = 0: levels {0, ±1}; 0.4 < 0.5 -> 0
    expect(Array.from(two.q)).toEqual([1, 0, 0]);
    expect(two.intBits).toBe(2);
  });
});
