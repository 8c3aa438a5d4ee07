import { describe, it, expect } from 'vitest';
import { Rng, testSeed } from '../../src/util/rng.js';
import { multiplyByQuantizedMultiplier, onnxRescale, roundShift, wrapIntBig, intFormat } from '../../src/arith/index.js';
import {
  integerInference, dequantizeOutput, modelShapes, shapeSize, ortOutputScale, SCHEMA_VERSION,
  type Conv2dLayer, type DenseLayer, type Layer, type QuantizedModel, type RequantMode,
} from '../../src/model/index.js';
import { BINARY, int, randomCnn, randomFloats, randomInts, randomMlp, type StageKind } from './fixtures/model/random_models.js';

const seed = testSeed(5303);

/**
 * A deliberately naive evaluator (BigInt sums, per-element arith calls with their argument checks, explicit
 * zero-point padding) to test the kernels of src/model/infer.ts against. Integer input only.
 */
function naive(model: QuantizedModel, input: Int32Array, mode: RequantMode): Int32Array {
  const shapes = modelShapes(model);
  const batch = input.length / shapeSize(model.inputShape);
  let x = Array.from(input);
  model.layers.forEach((l, li) => {
    if (l.kind === 'quantize' || l.kind === 'flatten') return;
    const inShape = shapes[li]!;
    const inSize = shapeSize(inShape);
    const outSize = shapeSize(shapes[li + 1]!);
    const y: number[] = [];
    for (let b = 0; b < batch; b++) {
      const xs = x.slice(b * inSize, (b + 1) * inSize);
      if (l.kind === 'clamp') y.push(...xs.map((v) => Math.min(l.max, Math.max(l.min, v))));
      else if (l.kind === 'maxpool2d') y.push(...naivePool(l, xs, inShape));
      else if (l.kind === 'add' || l.kind === 'globalavgpool') throw new Error(`the naive reference has no ${l.kind} (ort_qlinear.test.ts checks it)`);
      else y.push(...naiveMac(l, xs, inShape, outSize, mode));
    }
    x = y;
  });
  return Int32Array.from(x);
}

function naivePool(l: Extract<Layer, { kind: 'maxpool2d' }>, x: number[], [C, H, W]: number[]): number[] {
  const out: number[] = [];
  const Ho = Math.floor((H! + l.padding[0] + l.padding[2] - l.kernel[0]) / l.stride[0]) + 1;
  const Wo = Math.floor((W! + l.padding[1] + l.padding[3] - l.kernel[1]) / l.stride[1]) + 1;
  for (let c = 0; c < C!; c++) for (let oy = 0; oy < Ho; oy++) for (let ox = 0; ox < Wo; ox++) {
    const vals: number[] = [];
    for (let i = 0; i < l.kernel[0]; i++) for (let j = 0; j < l.kernel[1]; j++) {
      const iy = oy * l.stride[0] + i - l.padding[0];
      const ix = ox * l.stride[1] + j - l.padding[1];
      if (iy >= 0 && iy < H! && ix >= 0 && ix < W!) vals.push(x[(c * H! + iy) * W! + ix]!);
    }
    out.push(Math.max(...vals));
  }
  return out;
}

function naiveMac(l: DenseLayer | Conv2dLayer, x: number[], inShape: number[], outSize: number, mode: RequantMode): number[] {
  const O = l.kind === 'dense' ? l.outFeatures : l.outChannels;
  const inner = outSize / O;
  const ch = (a: number[], o: number) => (a.length === 1 ? a[0]! : a[o]!);
  const out: number[] = [];
  for (let o = 0; o < O; o++) {
    for (let p = 0; p < inner; p++) {
      let acc = 0n;
      if (l.kind === 'dense') {
        for (let k = 0; k < l.inFeatures; k++) acc += BigInt(l.weight.data[o * l.inFeatures + k]! - ch(l.weight.zeroPoint, o)) * BigInt(x[k]! - l.input.zeroPoint);
      } else {
        const [C, H, W] = inShape as [number, number, number];
        const Wo = Math.floor((W + l.padding[1] + l.padding[3] - l.kernel[1]) / l.stride[1]) + 1;
        const oy = Math.floor(p / Wo), ox = p % Wo;
        for (let c = 0; c < C; c++) for (let i = 0; i < l.kernel[0]; i++) for (let j = 0; j < l.kernel[1]; j++) {
          const iy = oy * l.stride[0] + i - l.padding[0];
          const ix = ox * l.stride[1] + j - l.padding[1];
          const xv = iy >= 0 && iy < H && ix >= 0 && ix < W ? x[(c * H + iy) * W + ix]! : l.input.zeroPoint; // padding = input zero point
          const wv = l.weight.data[((o * C + c) * l.kernel[0] + i) * l.kernel[1] + j]!;
          acc += BigInt(wv - ch(l.weight.zeroPoint, o)) * BigInt(xv - l.input.zeroPoint);
        }
      }
      if (l.bias) acc += BigInt(l.bias[o]!);
      const a = Number(wrapIntBig(acc, intFormat(32, true)));
      const st = l.output;
      if (st.kind === 'accumulator') out[o * inner + p] = a;
      else if (st.kind === 'threshold') {
        const base = st.channels === 1 ? 0 : o * st.steps;
        let cnt = 0;
        for (let t = 0; t < st.steps; t++) if (a >= st.thresholds[base + t]!) cnt++;
        out[o * inner + p] = st.bipolar ? 2 * (cnt + st.offset) - 1 : cnt + st.offset;
      } else {
        const s = st.scaling, zp = st.output.zeroPoint;
        let y: number;
        if (mode === 'onnxruntime' || s.kind === 'onnx') {
          const sc = mode === 'fixed' && s.kind === 'onnx' ? ch(s.scale, o) : ortOutputScale(l.input.scale, ch(l.weight.scale, o), st.output.scale);
          y = onnxRescale(a, sc, zp, st.clamp.min, st.clamp.max);
        } else {
          y = (s.kind === 'multiplier' ? multiplyByQuantizedMultiplier(a, ch(s.multiplier, o), ch(s.shift, o), s.variant) : roundShift(a, ch(s.shift, o), s.rounding)) + zp;
          y = Math.min(st.clamp.max, Math.max(st.clamp.min, y));
        }
        out[o * inner + p] = y;
      }
    }
  }
  return out;
}

const KINDS: StageKind[] = ['multiplier-double', 'multiplier-single', 'shift', 'onnx', 'threshold'];

describe(`integer reference inference equals the naive definition (seed ${seed}; LOWBIT_SEED=${seed} reproduces)`, () => {
  it('MLPs: every weight/activation format and output stage, both requant modes', () => {
    const rng = new Rng(seed);
    const fmts = [[int(8, true), int(8, false)], [int(4, true), int(4, true)], [int(2, false), int(3, false)], [BINARY, int(8, false)], [int(16, true), int(16, true)]] as const;
    for (const [wf, af] of fmts) {
      for (const kind of KINDS) {
        const m = randomMlp(rng, [rng.int(1, 40), rng.int(1, 20), rng.int(1, 9), 3], wf, af, kind);
        const input = randomInts(rng, 5 * m.inputShape[0]!, af);
        for (const mode of ['fixed', 'onnxruntime'] as const) {
          const got = integerInference(m, input, { requant: mode });
          expect(got.shape).toEqual([5, 3]);
          expect(got.output).toEqual(naive(m, input, mode));
        }
      }
    }
  });

  it('binary x binary layers (XNOR-popcount path) with bipolar thresholds', () => {
    const rng = new Rng(seed + 1);
    for (let t = 0; t < 6; t++) {
      const m = randomMlp(rng, [rng.int(1, 100), rng.int(1, 70), rng.int(1, 40), 4], BINARY, BINARY, 'bipolar');
      const input = randomInts(rng, 7 * m.inputShape[0]!, BINARY);
      expect(integerInference(m, input).output).toEqual(naive(m, input, 'fixed'));
    }
  });

  it('CNNs: padding with the input zero point, stride, max-pooling, clamp, flatten', () => {
    const rng = new Rng(seed + 2);
    for (const kind of KINDS) {
      for (const [wf, af] of [[int(8, true), int(8, false)], [int(3, true), int(4, false)]] as const) {
        const m = randomCnn(rng, rng.int(1, 3), rng.int(7, 11), rng.int(7, 11), wf, af, kind);
        const input = randomInts(rng, 3 * shapeSize(m.inputShape), af);
        expect(integerInference(m, input).output).toEqual(naive(m, input, 'fixed'));
        expect(integerInference(m, input, { requant: 'onnxruntime' }).output).toEqual(naive(m, input, 'onnxruntime'));
      }
    }
  });

  it('int32 accumulator wraps modulo 2^32 (16-bit extremes)', () => {
    const m = randomMlp(new Rng(seed + 3), [4, 2], int(16, true), int(16, true), 'accumulator');
    const fc = m.layers[1] as DenseLayer;
    fc.weight.data.fill(-32768);
    fc.weight.zeroPoint = [0];
    fc.bias = Int32Array.from([2 ** 31 - 1, 0]);
    const input = new Int32Array(4).fill(-32768);
    fc.input = { ...fc.input, zeroPoint: 0 };
    (m.layers[0] as { output: unknown }).output = fc.input;
    // 4 * 2^30 + (2^31 - 1) = 2^32 + 2^31 - 1 -> wraps to 2^31 - 1; 4 * 2^30 = 2^32 -> 0
    expect(Array.from(integerInference(m, input).output)).toEqual([2 ** 31 - 1, 0]);
  });
});

describe('hand-computed values', () => {
  const one = (variant: 'double' | 'single'): QuantizedModel => ({
    schemaVersion: SCHEMA_VERSION, name: 't', inputShape: [1], provenance: { tool: 't', date: '', source: '', accuracy: [] },
    layers: [{
      kind: 'dense', name: 'fc', inFeatures: 1, outFeatures: 1,
      input: { format: int(16, true), scale: 1, zeroPoint: 0 },
      weight: { format: int(8, true), data: Int32Array.from([1]), zeroPoint: [0], scale: [1] }, bias: null,
      output: { kind: 'requantize', scaling: { kind: 'multiplier', variant, multiplier: [2123782081], shift: [-2] },
        output: { format: int(16, true), scale: 1, zeroPoint: 3 }, clamp: { min: -32768, max: 32767 } },
    }],
  });
  it('TFLite vector: acc 1822, M 2123782081, shift -2 -> double 451, single 450 (+ zero point 3)', () => {
    expect(integerInference(one('double'), Int32Array.from([1822])).output[0]).toBe(454);
    expect(integerInference(one('single'), Int32Array.from([1822])).output[0]).toBe(453);
  });
  it('quantize layer: rint half to even of x / scale, saturated', () => {
    const m = randomMlp(new Rng(1), [6, 1], int(8, true), int(8, true), 'accumulator');
    (m.layers[0] as { output: unknown }).output = { format: int(8, true), scale: 0.5, zeroPoint: 0 };
    const fc = m.layers[1] as DenseLayer;
    fc.input = { format: int(8, true), scale: 0.5, zeroPoint: 0 };
    fc.weight = { format: int(8, true), data: Int32Array.from([1, 100, 10000 % 128, 0, 0, 0]), zeroPoint: [0], scale: [1] };
    const seen: number[][] = [];
    integerInference(m, Float32Array.from([1.25, 1.75, -1.25, 100, -100, 0.25]), { onLayer: (i, _l, out) => i === 0 && seen.push(Array.from(out)) });
    expect(seen[0]).toEqual([2, 4, -2, 127, -128, 0]); // 2.5 -> 2, 3.5 -> 4, -2.5 -> -2, saturate, 0.5 -> 0
  });
  it('rejects bad inputs', () => {
    const m = randomMlp(new Rng(2), [3, 2], int(8, true), int(4, false), 'accumulator');
    expect(() => integerInference(m, Int32Array.from([1, 2, 16]))).toThrow(/input\[2\]: got 16; allowed: an integer in the input format uint4/);
    expect(() => integerInference(m, new Float32Array(4))).toThrow(/input\.length: got 4; allowed: a positive multiple of the model's input size 3/);
    expect(() => integerInference({ ...m, layers: m.layers.slice(1) }, new Float32Array(3))).toThrow(/got floats, but model random-mlp has no quantize input layer/);
  });
  it('float input through the quantize layer equals quantized integer input', () => {
    const rng = new Rng(seed + 4);
    const m = randomCnn(rng, 2, 8, 8, int(4, true), int(8, false), 'multiplier-double');
    const xf = randomFloats(rng, 2 * 128);
    let q = new Int32Array(0);
    const a = integerInference(m, xf, { onLayer: (i, _l, out) => { if (i === 0) q = out.slice(); } });
    expect(integerInference(m, q).output).toEqual(a.output);
  });
});

describe('ORT AVX2 u8 x s8 emulation (u8s8Saturation)', () => {
  const m = (w: number[], zpA: number): QuantizedModel => ({
    schemaVersion: SCHEMA_VERSION, name: 's', inputShape: [w.length], provenance: { tool: 't', date: '', source: '', accuracy: [] },
    layers: [{
      kind: 'dense', name: 'fc', inFeatures: w.length, outFeatures: 1,
      input: { format: int(8, false), scale: 1, zeroPoint: zpA },
      weight: { format: int(8, true), data: Int32Array.from(w), zeroPoint: [0], scale: [1] }, bias: Int32Array.from([5]),
      output: { kind: 'accumulator' },
    }],
  });
  it('saturates each consecutive pair of raw products at int16, then corrects the zero point exactly', () => {
    const x = Int32Array.from([255, 255, 255]);
    // exact: (255-3)*127*3 + 5 = 96017; emulated: sat16(255*127*2) = 32767, + 255*127, - 3*381, + 5
    expect(integerInference(m([127, 127, 127], 3), x).output[0]).toBe(96017);
    expect(integerInference(m([127, 127, 127], 3), x, { u8s8Saturation: true }).output[0]).toBe(32767 + 32385 - 3 * 381 + 5);
    expect(integerInference(m([-128, -128], 0), Int32Array.from([255, 255]), { u8s8Saturation: true }).output[0]).toBe(-32768 + 5);
  });
  it('equals exact accumulation when no pair overflows, and leaves other format pairs exact', () => {
    const rng = new Rng(seed + 9);
    const mm = randomMlp(rng, [31, 9, 4], int(8, true), int(8, false), 'multiplier-double');
    const x = randomInts(rng, 10 * 31, int(7, false)); // 127 * 127 * 2 < 32767: never saturates
    expect(integerInference(mm, x, { u8s8Saturation: true }).output).toEqual(integerInference(mm, x).output);
    const s8 = randomMlp(rng, [31, 9, 4], int(8, true), int(8, true), 'multiplier-double');
    const xs = randomInts(rng, 10 * 31, int(8, true));
    expect(integerInference(s8, xs, { u8s8Saturation: true }).output).toEqual(integerInference(s8, xs).output);
  });
});

describe('fast paths equal the plain loop', () => {
  it(`WebAssembly GEMM path (operands <= 15 bits) and XNOR GEMM equal the JS loops (seed ${seed})`, () => {
    const rng = new Rng(seed + 11);
    for (const [wf, af] of [[int(8, true), int(8, false)], [int(4, false), int(3, true)], [int(15, true), int(15, false)], [BINARY, int(8, false)]] as const) {
      const m = randomMlp(rng, [rng.int(1, 90), rng.int(1, 50), 7], wf, af, 'multiplier-double');
      const x = randomInts(rng, 9 * m.inputShape[0]!, af);
      expect(integerInference(m, x).output).toEqual(integerInference(m, x, { kernel: 'js' }).output);
    }
    for (let t = 0; t < 3; t++) {
      const m = randomMlp(rng, [rng.int(1, 300), rng.int(1, 70), 5], BINARY, BINARY, 'bipolar');
      const x = randomInts(rng, 9 * m.inputShape[0]!, BINARY);
      expect(integerInference(m, x).output).toEqual(integerInference(m, x, { kernel: 'js' }).output);
    }
  });
  it(`conv2d through im2col + GEMM equals the JS loop (seed ${seed})`, () => {
    const rng = new Rng(seed + 12);
    for (const [wf, af] of [[int(8, true), int(8, false)], [int(3, true), int(4, false)], [int(15, true), int(15, true)]] as const) {
      const m = randomCnn(rng, rng.int(1, 3), rng.int(7, 12), rng.int(7, 12), wf, af, 'multiplier-double');
      const x = randomInts(rng, 5 * shapeSize(m.inputShape), af);
      expect(integerInference(m, x).output).toEqual(integerInference(m, x, { kernel: 'js' }).output);
    }
  });
});

describe('dequantizeOutput', () => {
  it('dequantizes in float32 as ONNX Runtime: float32(q - zp) * scale, int32 logits float32(acc) * float32(inScale * wScale[o])', () => {
    const rng = new Rng(seed + 13);
    const m = randomMlp(rng, [10, 6, 3], int(8, true), int(8, false), 'multiplier-double');
    const x = randomFloats(rng, 4 * 10);
    const y = integerInference(m, x).output;
    const fc = m.layers[2] as DenseLayer;
    const real = dequantizeOutput(m, y);
    for (let k = 0; k < y.length; k++) {
      const ws = fc.weight.scale.length === 1 ? fc.weight.scale[0]! : fc.weight.scale[k % 3]!;
      const f = Math.fround;
      expect(real[k]).toBe(f(f(y[k]!) * f(f(fc.input.scale) * f(ws))));
    }
    const hidden = { ...m, layers: m.layers.slice(0, 2) };
    const h = integerInference(hidden, x).output;
    const q = ((m.layers[1] as DenseLayer).output as { output: { scale: number; zeroPoint: number } }).output;
    expect(Array.from(dequantizeOutput(hidden, h))).toEqual(Array.from(h, (v) => Math.fround(Math.fround(v - q.zeroPoint) * Math.fround(q.scale))));
  });
});
