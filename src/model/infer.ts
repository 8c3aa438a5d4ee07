import { readFileSync } from 'node:fs';
import { dequantizeLinear } from '../arith/onnx.js';
import { qlinearAdd, qlinearAddParams, qlinearGlobalAvgPoolScale } from '../arith/ort_qlinear.js';
import { onnxRescaleUnchecked } from '../arith/requant.js';
import { badValue, InputError } from '../util/errors.js';
import { checkAccSpec, type AccSpec } from '../kernels/gemm_ref.js';
import { conv2dAcc, denseAcc } from './mac.js';
import { modelShapes, shapeSize, windowOutput } from './shapes.js';
import { applyOutputStage, firstOutOfRange, quantizeInput, type RequantMode } from './stages.js';
import { formatName, formatRange, type ActQuant, type AddLayer, type GlobalAvgPoolLayer, type Layer, type MaxPool2dLayer, type QuantizedModel } from './types.js';

/**
 * THE integer reference inference of a QuantizedModel: the definition that the TS hardware model and the
 * RTL must reproduce bit for bit. Layer by layer over a batch, integers only (the one float step is the
 * `quantize` input layer, ONNX QuantizeLinear; and the `onnxruntime` requant mode, ORT's float32 rescale):
 *   quantize   q = saturate(rint_even(float32(x / s)) + zp)
 *   dense      acc = wrap32(sum (w - wZp)(x - xZp) + bias), then the output stage (stages.ts)
 *   conv2d     the same over each window, padding reads the input zero point (mac.ts)
 *   maxpool2d  max over each window, padded positions ignored
 *   flatten    CHW order, no change to the data
 *   clamp      min(max(x, lo), hi)
 *   add        ONNX Runtime QLinearAdd of the outputs of two earlier layers (float32 FMA rule, arith/ort_qlinear.ts)
 *   globalavgpool  ONNX Runtime QLinearGlobalAveragePool: sum - zIn*H*W, float32 rescale (arith/ort_qlinear.ts)
 */
export interface InferOptions {
  /** how requantize stages scale (default `fixed`) */
  requant?: RequantMode;
  /**
   * Emulate ONNX Runtime's x86 AVX2 u8 x s8 GEMM (int16 saturation of pair sums, see mac.ts `denseAcc`)
   * in dense layers; meaningful with `requant: 'onnxruntime'` when comparing with ORT on such a CPU
   * (`ortU8S8Saturates()` tells). Default false: exact accumulation, the definition.
   */
  u8s8Saturation?: boolean;
  /** dense/conv accumulation kernel: `auto` (WebAssembly GEMM, conv through im2col, when operands fit 16 bits) or `js` (plain loops) */
  kernel?: 'auto' | 'js';
  /**
   * The accumulator of every dense/conv layer (kernels/gemm_ref.ts AccSpec: width, WRAP/SAT, optional
   * chunking), instead of the model's exact int32 sum: what a narrower or chunked register would hold.
   */
  accumulator?: AccSpec;
  /** called after each layer with its output (do not keep the array; it may be reused) */
  onLayer?: (index: number, layer: Layer, out: Int32Array, shape: readonly number[]) => void;
}

export interface InferResult {
  /** integer outputs [batch, ...outputShape], row-major */
  output: Int32Array;
  /** [batch, ...outputShape] */
  shape: number[];
}

/**
 * Runs `model` on a batch. `input` holds batch x inputSize values: floats (Float32Array/Float64Array) when
 * the model starts with a `quantize` layer, or integers already in the first layer's input format (any
 * integer typed array; a leading `quantize` layer is then skipped).
 */
export function integerInference(
  model: QuantizedModel,
  input: Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint8Array | Uint16Array,
  opts: InferOptions = {},
): InferResult {
  const mode = opts.requant ?? 'fixed';
  if (mode !== 'fixed' && mode !== 'onnxruntime') throw badValue('requant', mode, 'fixed or onnxruntime');
  if (opts.accumulator !== undefined) checkAccSpec(opts.accumulator, 'accumulator');
  const shapes = modelShapes(model);
  const inSize = shapeSize(model.inputShape);
  if (input.length % inSize !== 0 || input.length === 0) {
    throw badValue('input.length', input.length, `a positive multiple of the model's input size ${inSize} ([${model.inputShape}])`);
  }
  const batch = input.length / inSize;
  const isFloat = input instanceof Float32Array || input instanceof Float64Array;
  let start = 0;
  let x: Int32Array;
  const first = model.layers[0]!;
  if (isFloat) {
    if (first.kind !== 'quantize') throw new InputError(`input: got floats, but model ${model.name} has no quantize input layer; pass integers`);
    x = quantizeInput(first.output, input, new Int32Array(input.length));
    opts.onLayer?.(0, first, x, shapes[1]!);
    start = 1;
  } else {
    start = first.kind === 'quantize' ? 1 : 0;
    const q = inputQuant(model);
    x = input instanceof Int32Array ? input : Int32Array.from(input);
    if (q) {
      const bad = firstOutOfRange(q, x);
      if (bad >= 0) throw badValue(`input[${bad}]`, x[bad], `an integer in the input format ${formatName(q.format)}`);
    }
  }
  // outputs that a later add layer reads as its skip operand
  const kept = new Map<number, Int32Array>();
  const skips = new Set(model.layers.flatMap((l, i) => (l.kind === 'add' ? [l.a.from, l.b.from].filter((f) => f !== i - 1) : [])));
  if (start === 1 && skips.has(0)) kept.set(0, x);
  for (let i = start; i < model.layers.length; i++) {
    const l = model.layers[i]!;
    const inShape = shapes[i]!;
    const outShape = shapes[i + 1]!;
    const outSize = shapeSize(outShape);
    if (l.kind === 'add') {
      const operand = (from: number): Int32Array => (from === i - 1 ? x : kept.get(from) ?? skipMissing(l.name, from));
      x = addInt(l, operand(l.a.from), operand(l.b.from));
    } else x = runLayerInt(l, x, batch, inShape, outSize, mode, opts.u8s8Saturation ?? false, opts.kernel ?? 'auto', opts.accumulator);
    if (skips.has(i)) kept.set(i, x.slice());
    opts.onLayer?.(i, l, x, outShape);
  }
  return { output: x, shape: [batch, ...shapes[model.layers.length]!] };
}

/** One layer over a batch: `x` is [batch][...inShape], returns [batch][outSize]. */
export function runLayerInt(
  l: Layer, x: Int32Array, batch: number, inShape: readonly number[], outSize: number, mode: RequantMode,
  u8s8Saturation = false, kernel: 'auto' | 'js' = 'auto', accumulator?: AccSpec,
): Int32Array {
  switch (l.kind) {
    case 'quantize':
      throw new InputError(`${l.name}: a quantize layer takes float input; only the first layer may be one`);
    case 'flatten':
      return x;
    case 'clamp': {
      const out = new Int32Array(x.length);
      for (let k = 0; k < x.length; k++) {
        const v = x[k]!;
        out[k] = v < l.min ? l.min : v > l.max ? l.max : v;
      }
      return out;
    }
    case 'maxpool2d':
      return maxpool2dInt(l, x, batch, inShape, new Int32Array(batch * outSize));
    case 'globalavgpool':
      return globalAvgPoolInt(l, x, batch, inShape);
    case 'add':
      throw new InputError(`${l.name}: an add layer reads an earlier layer's output; run it through integerInference`);
    case 'dense': {
      const acc = denseAcc(l, x, batch, new Int32Array(batch * outSize), u8s8Saturation, kernel, accumulator);
      return applyOutputStage(l, acc, 1, mode, acc);
    }
    case 'conv2d': {
      const acc = conv2dAcc(l, x, batch, inShape, new Int32Array(batch * outSize), kernel, accumulator);
      return applyOutputStage(l, acc, outSize / l.outChannels, mode, acc);
    }
  }
}

/** Max pooling over CHW integers; windows are clipped to the input (padding never wins). */
export function maxpool2dInt(l: MaxPool2dLayer, x: Int32Array, batch: number, inShape: readonly number[], out: Int32Array): Int32Array {
  const [C, H, W] = inShape as [number, number, number];
  const [kh, kw] = l.kernel;
  const [sh, sw] = l.stride;
  const [pt, pl, pb, pr] = l.padding;
  const Ho = windowOutput(H, pt, pb, kh, sh);
  const Wo = windowOutput(W, pl, pr, kw, sw);
  let k = 0;
  for (let bc = 0; bc < batch * C; bc++) {
    const base = bc * H * W;
    for (let oy = 0; oy < Ho; oy++) {
      const y0 = Math.max(0, oy * sh - pt);
      const y1 = Math.min(H, oy * sh - pt + kh);
      for (let ox = 0; ox < Wo; ox++) {
        const x0 = Math.max(0, ox * sw - pl);
        const x1 = Math.min(W, ox * sw - pl + kw);
        let m = -Infinity;
        for (let y = y0; y < y1; y++) for (let xx = x0; xx < x1; xx++) m = Math.max(m, x[base + y * W + xx]!);
        out[k++] = m;
      }
    }
  }
  return out;
}

function skipMissing(name: string, from: number): never {
  throw new InputError(`${name}: the output of layer ${from} was not computed (the input skipped it)`);
}

/** ONNX Runtime QLinearAdd of two integer tensors of equal length (arith/ort_qlinear.ts). */
export function addInt(l: AddLayer, a: Int32Array, b: Int32Array): Int32Array {
  const p = qlinearAddParams(l.a.quant.scale, l.a.quant.zeroPoint, l.b.quant.scale, l.b.quant.zeroPoint, l.output.scale, l.output.zeroPoint);
  const { min, max } = formatRange(l.output.format);
  const out = new Int32Array(a.length);
  for (let k = 0; k < a.length; k++) out[k] = qlinearAdd(a[k]!, b[k]!, p, min, max);
  return out;
}

/** ONNX Runtime QLinearGlobalAveragePool over CHW integers: [batch][C][H][W] -> [batch][C]. */
export function globalAvgPoolInt(l: GlobalAvgPoolLayer, x: Int32Array, batch: number, inShape: readonly number[]): Int32Array {
  const [C, H, W] = inShape as [number, number, number];
  const n = H * W;
  const scale = qlinearGlobalAvgPoolScale(l.input.scale, l.output.scale, n);
  const zp = l.output.zeroPoint;
  const { min, max } = formatRange(l.output.format);
  const lo = Math.fround(min - zp);
  const hi = Math.fround(max - zp);
  const bias = -l.input.zeroPoint * n;
  const out = new Int32Array(batch * C);
  for (let bc = 0; bc < batch * C; bc++) {
    let acc = bias;
    for (let k = bc * n; k < (bc + 1) * n; k++) acc = (acc + x[k]!) | 0;
    out[bc] = onnxRescaleUnchecked(acc, scale, zp, lo, hi);
  }
  return out;
}

/** The quantization of the model's integer input (the quantize layer's output or the first MAC layer's input). */
export function inputQuant(model: QuantizedModel): ActQuant | null {
  for (const l of model.layers) {
    if (l.kind === 'quantize') return l.output;
    if (l.kind === 'dense' || l.kind === 'conv2d') return l.input;
  }
  return null;
}

/** Index of the largest value in each row of a [rows][cols] array (first one on ties). */
export function argmaxRowsInt(x: Int32Array, cols: number, out: Int32Array = new Int32Array(x.length / cols)): Int32Array {
  for (let r = 0; r < out.length; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (x[r * cols + c]! > x[r * cols + best]!) best = c;
    out[r] = best;
  }
  return out;
}

/**
 * Whether ONNX Runtime's u8 x s8 GEMM on this machine saturates pair sums at int16: x86 with AVX2 but
 * without AVX-VNNI / AVX512-VNNI / AMX (read from /proc/cpuinfo; false elsewhere).
 */
export function ortU8S8Saturates(): boolean {
  try {
    const flags = new Set(readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:.*$/m)?.[0].split(/\s+/) ?? []);
    return flags.has('avx2') && !flags.has('avx512_vnni') && !flags.has('avx_vnni') && !flags.has('amx_int8');
  } catch {
    return false;
  }
}

/**
 * Real values of integer outputs of `model` (laid out [batch][...outputShape]) in float32 arithmetic, as ONNX
 * Runtime computes them, so that they equal ORT's float outputs bit for bit:
 *   requantize / threshold / quantize output: DequantizeLinear, `float32(q - zeroPoint) * float32(scale)`;
 *   int32 accumulator stage: `float32(acc) * float32(float32(inScale) * float32(wScale[o]))` (QGemm / MatMulInteger
 *   with a float output: ORT's MLAS scale output processor, the scale product taken in float32).
 */
export function dequantizeOutput(model: QuantizedModel, output: Int32Array): Float32Array {
  const out = new Float32Array(output.length);
  const shapes = modelShapes(model);
  const outSize = shapeSize(shapes[shapes.length - 1]!);
  // the last layer that sets the quantization of the output (pass-through layers keep it)
  for (let i = model.layers.length - 1; i >= 0; i--) {
    const l = model.layers[i]!;
    if (l.kind === 'quantize' || l.kind === 'add' || l.kind === 'globalavgpool') {
      dequantizeLinear(output, [output.length], [l.output.scale], [l.output.zeroPoint], {}, out);
      return out;
    }
    if (l.kind !== 'dense' && l.kind !== 'conv2d') continue;
    const st = l.output;
    if (st.kind !== 'accumulator') {
      dequantizeLinear(output, [output.length], [st.output.scale], [st.output.zeroPoint], {}, out);
      return out;
    }
    const C = l.kind === 'dense' ? l.outFeatures : l.outChannels;
    const inner = outSize / C;
    const ws = l.weight.scale;
    const s32 = Float32Array.from(ws, (w) => Math.fround(l.input.scale) * Math.fround(w));
    for (let k = 0; k < out.length; k++) {
      const o = Math.floor((k % outSize) / inner);
      out[k] = Math.fround(output[k]!) * s32[ws.length === 1 ? 0 : o]!;
    }
    return out;
  }
  throw new InputError(`${model.name}: no layer defines the output quantization`);
}
