import { formatRange, intFormat } from '../arith/format.js';
import { roundToMinifloatArray } from '../arith/minifloat.js';
import { roundHalfEven } from '../arith/requant.js';
import { badValue } from '../util/errors.js';
import type { Provenance } from './types.js';

/**
 * The weight-only quantized model (docs/model.md "Weight-only models"): integer weights with float scales
 * (per output channel or per group of `group` consecutive inputs along K), float activations in FP32, FP16
 * or BF16. Its reference inference (`weightOnlyInference`) is THE definition, in float32 arithmetic with
 * every rounding stated:
 *
 *   act(v)  = v rounded to the activation format: fp32 keeps the float32 value; fp16 / bf16 round to
 *             nearest, ties to even, with subnormals and overflow to inf (arith/minifloat.ts; no saturation)
 *   input   x = act(float32(x))
 *   dense   for output o, groups g = 0..G-1 of K (G = ceil(K / group), the last may be shorter), k in order:
 *             s_g = f32(s_g + f32(q[o][k] * x[k]))     from s_g = 0      (q the integer weight code)
 *             acc = f32(acc + f32(scale[o][g] * s_g))   from acc = 0
 *           y[o] = act(f32(acc + bias[o]))
 *   conv2d  the same over each window in (c, i, j) order, padded positions reading x = 0 in their place
 *   relu    max(v, 0);  hardtanh  min(max(v, -1), 1);  maxpool2d (k x k, stride k, floor)  max;
 *   flatten no change (CHW order)
 * f32 is float32 rounding (Math.fround; the products q x of an at most 8-bit code and a float32 are exact
 * in float64, so f32(q * x) is the float32 product). Weights are symmetric: q in [-(2^(b-1) - 1),
 * 2^(b-1) - 1], real weight scale[o][g] * q. The sums are sequential in k, as one float32 accumulator of
 * a dequantize-in-the-loop kernel computes them; ReLU and pooling commute with act.
 */
export type FloatAct = 'fp32' | 'fp16' | 'bf16';
export const FLOAT_ACTS: readonly FloatAct[] = ['fp32', 'fp16', 'bf16'];

/** Integer weight codes of one layer with their float32 scales. */
export interface WoWeight {
  /** code width, 2..8 (signed, symmetric) */
  bits: number;
  /** codes [out][K] row-major; K in the checkpoint's order (dense: input; conv: (c, i, j)) */
  data: Int32Array;
  /** inputs per group along K; `K` = one scale per output channel */
  group: number;
  /** scale[o * groups + g], float32 values */
  scale: Float32Array;
}

export type WoLayer =
  | { kind: 'dense'; name: string; in: number; out: number; weight: WoWeight; bias: Float32Array | null }
  | { kind: 'conv2d'; name: string; inC: number; outC: number; k: number; stride: number; pad: number; weight: WoWeight; bias: Float32Array | null }
  | { kind: 'relu' | 'hardtanh' | 'flatten'; name: string }
  | { kind: 'maxpool2d'; name: string; k: number };

export interface WeightOnlyModel {
  format: 'lowbit-weight-only-model';
  schemaVersion: 1;
  name: string;
  /** [features] or [C, H, W] */
  inputShape: number[];
  activation: FloatAct;
  layers: WoLayer[];
  provenance: Provenance;
}

/** Rounds float32 values to the activation format in place (fp32: unchanged). */
export function roundAct(v: Float32Array, act: FloatAct): Float32Array {
  if (act === 'fp32') return v;
  return roundToMinifloatArray(v, act, { saturate: false, rounding: 'RND_CONV' }, v);
}

/** The weights per group of a row of K for a `group` option: `group`, or K (per row) when it is 0 or >= K. */
export function groupSize(group: number, K: number): number {
  return group === 0 || group >= K ? Math.max(K, 1) : group;
}

/** Groups of a row of K inputs. */
export function groupCount(K: number, group: number): number {
  return Math.ceil(K / group);
}

/** Per-sample output shape of each layer: shapes[i] is layer i's input, shapes[n] the output. */
export function woShapes(m: WeightOnlyModel): number[][] {
  const shapes = [m.inputShape.slice()];
  for (const l of m.layers) {
    const s = shapes[shapes.length - 1];
    const size = s.reduce((a, b) => a * b, 1);
    switch (l.kind) {
      case 'dense':
        if (size !== l.in) throw badValue(`layer ${l.name}: input size`, size, `${l.in} (its inputs)`);
        shapes.push([l.out]);
        break;
      case 'conv2d': {
        if (s.length !== 3 || s[0] !== l.inC) throw badValue(`layer ${l.name}: input shape`, `[${s}]`, `[${l.inC}, H, W]`);
        const o = (n: number): number => Math.floor((n + 2 * l.pad - l.k) / l.stride) + 1;
        shapes.push([l.outC, o(s[1]), o(s[2])]);
        break;
      }
      case 'maxpool2d':
        if (s.length !== 3) throw badValue(`layer ${l.name}: input shape`, `[${s}]`, '[C, H, W]');
        shapes.push([s[0], Math.floor(s[1] / l.k), Math.floor(s[2] / l.k)]);
        break;
      case 'flatten':
        shapes.push([size]);
        break;
      default:
        shapes.push(s.slice());
    }
  }
  return shapes;
}

/** Runs `batch` samples (batch x input size floats) through the model; returns batch x output size float32. */
export function weightOnlyInference(m: WeightOnlyModel, x: ArrayLike<number>, batch: number): Float32Array {
  const shapes = woShapes(m);
  const inSize = shapes[0].reduce((a, b) => a * b, 1);
  if (x.length !== batch * inSize || batch < 1) throw badValue('input length', x.length, `a positive multiple of the model's input size ${inSize}`);
  let cur = roundAct(Float32Array.from(x), m.activation);
  m.layers.forEach((l, i) => {
    const inShape = shapes[i];
    const outSize = shapes[i + 1].reduce((a, b) => a * b, 1);
    const y = new Float32Array(batch * outSize);
    switch (l.kind) {
      case 'dense':
        for (let b = 0; b < batch; b++) {
          const xb = cur.subarray(b * l.in, (b + 1) * l.in);
          for (let o = 0; o < l.out; o++) y[b * l.out + o] = dotGroups(l.weight, o, l.in, xb, l.bias ? l.bias[o] : 0);
        }
        roundAct(y, m.activation);
        break;
      case 'conv2d':
        conv(l, cur, batch, inShape, shapes[i + 1], y);
        roundAct(y, m.activation);
        break;
      case 'relu':
        for (let k = 0; k < y.length; k++) y[k] = cur[k] > 0 ? cur[k] : 0;
        break;
      case 'hardtanh':
        for (let k = 0; k < y.length; k++) y[k] = Math.min(1, Math.max(-1, cur[k]));
        break;
      case 'flatten':
        y.set(cur);
        break;
      case 'maxpool2d':
        maxpool(l.k, cur, batch, inShape, shapes[i + 1], y);
        break;
    }
    cur = y;
  });
  return cur;
}

/** One output's grouped float32 dot product plus bias (file header), before the activation rounding. */
function dotGroups(w: WoWeight, o: number, K: number, x: Float32Array, bias: number): number {
  const G = groupCount(K, w.group);
  const row = o * K;
  let acc = 0;
  for (let g = 0; g < G; g++) {
    let s = 0;
    const end = Math.min(K, (g + 1) * w.group);
    for (let k = g * w.group; k < end; k++) s = Math.fround(s + Math.fround(w.data[row + k] * x[k]));
    acc = Math.fround(acc + Math.fround(w.scale[o * G + g] * s));
  }
  return Math.fround(acc + bias);
}

function conv(l: Extract<WoLayer, { kind: 'conv2d' }>, x: Float32Array, batch: number, inShape: number[], outShape: number[], y: Float32Array): void {
  const [C, H, W] = inShape;
  const [, Ho, Wo] = outShape;
  const { k, stride, pad } = l;
  const K = C * k * k;
  // the window of one output position in (c, i, j) order, padded positions 0
  const col = new Float32Array(K);
  for (let b = 0; b < batch; b++) {
    const xb = b * C * H * W;
    for (let oy = 0; oy < Ho; oy++) {
      for (let ox = 0; ox < Wo; ox++) {
        for (let kk = 0; kk < K; kk++) {
          const c = Math.floor(kk / (k * k));
          const iy = oy * stride - pad + Math.floor((kk % (k * k)) / k);
          const ix = ox * stride - pad + (kk % k);
          col[kk] = iy >= 0 && iy < H && ix >= 0 && ix < W ? x[xb + (c * H + iy) * W + ix] : 0;
        }
        for (let o = 0; o < l.outC; o++) y[((b * l.outC + o) * Ho + oy) * Wo + ox] = dotGroups(l.weight, o, K, col, l.bias ? l.bias[o] : 0);
      }
    }
  }
}

function maxpool(k: number, x: Float32Array, batch: number, inShape: number[], outShape: number[], y: Float32Array): void {
  const [C, H, W] = inShape;
  const [, Ho, Wo] = outShape;
  for (let bc = 0; bc < batch * C; bc++) {
    for (let oy = 0; oy < Ho; oy++) {
      for (let ox = 0; ox < Wo; ox++) {
        let m = -Infinity;
        for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) m = Math.max(m, x[(bc * H + oy * k + i) * W + ox * k + j]);
        y[(bc * Ho + oy) * Wo + ox] = m;
      }
    }
  }
}

/**
 * The weight-only quantization rule, one implementation for PTQ (quant/weight_only.ts, after batch-norm
 * folding) and weight-only QAT's fake quantizer (train/quantizers.ts): per row o and group g (`group`
 * consecutive weights along K; 0 or >= K: one group = per channel), symmetric, narrow range
 * qmax = 2^(bits-1) - 1:
 *   scale[o][g] = f32(max_{k in g} |w[o][k]| / qmax)   (1 when the group is all zero)
 *   q[o][k]     = clamp(rint_even(w[o][k] / scale[o][g]), -qmax, qmax)
 */
export function quantizeRows(w: Float32Array, rows: number, bits: number, group: number): WoWeight {
  const K = w.length / rows;
  const gs = groupSize(group, K);
  const G = groupCount(K, gs);
  const qmax = formatRange(intFormat(bits, true), true).max; // 2^(bits-1) - 1
  const data = new Int32Array(w.length);
  const scale = new Float32Array(rows * G);
  for (let r = 0; r < rows; r++) {
    for (let g = 0; g < G; g++) {
      const k0 = r * K + g * gs;
      const k1 = r * K + Math.min(K, (g + 1) * gs);
      let m = 0;
      for (let k = k0; k < k1; k++) m = Math.max(m, Math.abs(w[k]));
      const s = m > 0 ? Math.fround(m / qmax) : 1;
      scale[r * G + g] = s;
      for (let k = k0; k < k1; k++) data[k] = Math.max(-qmax, Math.min(qmax, roundHalfEven(w[k] / s)));
    }
  }
  return { bits, data, group: gs, scale };
}
