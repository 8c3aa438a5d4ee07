import { mbqmDouble, mbqmSingle, onnxRescaleUnchecked, roundHalfEven, roundShiftUnchecked } from '../arith/index.js';
import { formatRange, type ActQuant, type Conv2dLayer, type DenseLayer } from './types.js';

/**
 * Output stages and the input quantizer — part of the integer reference inference (infer.ts).
 * Every number goes through src/arith (multiplyByQuantizedMultiplier's kernels, roundShift, ORT's
 * float32 rescale, round half to even); nothing is re-derived here.
 */

/**
 * `fixed`: the model's own scaling (multiplier/shift, shift-only, or the stored float32 `onnx` scale).
 * `onnxruntime`: every requantize stage rescales as ONNX Runtime does from the model's float scales,
 * float32(acc) * float32(float32(inScale * wScale[o]) / outScale), clamp, round half to even, + zero point
 * (for an `onnx` scaling whose stored scale was derived the same way, both modes agree).
 */
export type RequantMode = 'fixed' | 'onnxruntime';
export const REQUANT_MODES: readonly RequantMode[] = ['fixed', 'onnxruntime'];

/** The float32 rescale ONNX Runtime computes for QLinearMatMul/QLinearConv: (a_scale * b_scale[o]) / y_scale in float32. */
export function ortOutputScale(inScale: number, wScale: number, outScale: number): number {
  return Math.fround(Math.fround(Math.fround(inScale) * Math.fround(wScale)) / Math.fround(outScale));
}

/**
 * Applies the output stage of `layer` to accumulators `acc` laid out [batch][channels][inner]
 * (dense: inner = 1; conv: inner = H'*W'), writing `out`.
 */
export function applyOutputStage(layer: DenseLayer | Conv2dLayer, acc: Int32Array, inner: number, mode: RequantMode, out: Int32Array): Int32Array {
  const C = layer.kind === 'dense' ? layer.outFeatures : layer.outChannels;
  const st = layer.output;
  const n = acc.length;
  const rows = n / (C * inner);
  const ch = (a: number[], o: number): number => (a.length === 1 ? a[0]! : a[o]!);
  if (st.kind === 'accumulator') {
    if (out !== acc) out.set(acc);
    return out;
  }
  // element index i = (r * C + o) * inner + p: loop r, o, p so that per-channel values are hoisted
  if (st.kind === 'threshold') {
    const T = st.steps;
    const th = st.thresholds;
    for (let r = 0, i = 0; r < rows; r++) {
      for (let o = 0; o < C; o++) {
        const base = (st.channels === 1 ? 0 : o) * T;
        for (let p = 0; p < inner; p++, i++) {
          const a = acc[i]!;
          let count = 0;
          while (count < T && a >= th[base + count]!) count++;
          const y = count + st.offset;
          out[i] = st.bipolar ? 2 * y - 1 : y;
        }
      }
    }
    return out;
  }
  const zp = st.output.zeroPoint;
  const { min, max } = st.clamp;
  const s = st.scaling;
  if (mode === 'onnxruntime' || s.kind === 'onnx') {
    const lo = Math.fround(min - zp);
    const hi = Math.fround(max - zp);
    for (let o = 0; o < C; o++) {
      const scale32 = mode === 'fixed' && s.kind === 'onnx' ? Math.fround(ch(s.scale, o)) : ortOutputScale(layer.input.scale, ch(layer.weight.scale, o), st.output.scale);
      for (let r = 0; r < rows; r++) {
        const i0 = (r * C + o) * inner;
        for (let i = i0; i < i0 + inner; i++) out[i] = onnxRescaleUnchecked(acc[i]!, scale32, zp, lo, hi);
      }
    }
    return out;
  }
  for (let o = 0; o < C; o++) {
    const sh = ch(s.shift, o);
    const M = s.kind === 'multiplier' ? ch(s.multiplier, o) : 0;
    const single = s.kind === 'multiplier' && s.variant === 'single';
    for (let r = 0; r < rows; r++) {
      const i0 = (r * C + o) * inner;
      for (let i = i0; i < i0 + inner; i++) {
        let y: number;
        if (s.kind === 'multiplier') y = single ? mbqmSingle(acc[i]!, M, sh) : mbqmDouble(acc[i]!, M, sh);
        else y = roundShiftUnchecked(acc[i]!, sh, s.rounding);
        y += zp;
        out[i] = y < min ? min : y > max ? max : y;
      }
    }
  }
  return out;
}

/**
 * ONNX QuantizeLinear of float input: q = saturate(rint(float32(x / scale)) + zeroPoint), rint ties to even,
 * the division in float32 (docs/arithmetic.md section 3). Binary output: +1 for x >= 0, -1 otherwise.
 */
export function quantizeInput(q: ActQuant, x: ArrayLike<number>, out: Int32Array): Int32Array {
  if (q.format.type === 'binary') {
    for (let i = 0; i < x.length; i++) out[i] = x[i]! >= 0 ? 1 : -1;
    return out;
  }
  const { min, max } = formatRange(q.format);
  const scale = Math.fround(q.scale);
  const zp = q.zeroPoint;
  for (let i = 0; i < x.length; i++) {
    const f = Math.fround(Math.fround(x[i]!) / scale);
    const v = roundHalfEven(f) + zp; // then saturate to the format (NaN -> min)
    out[i] = v > max ? max : v >= min ? v : min;
  }
  return out;
}

/** Checks integer inputs against a format; returns the index of the first bad value or -1. */
export function firstOutOfRange(q: ActQuant, x: ArrayLike<number>): number {
  const { min, max } = formatRange(q.format);
  const binary = q.format.type === 'binary';
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (!Number.isInteger(v) || v < min || v > max || (binary && v === 0)) return i;
  }
  return -1;
}
