import { quantizeMultiplier } from '../../arith/index.js';
import { InputError } from '../../util/errors.js';
import { ortOutputScale } from '../stages.js';
import type { ActQuant, AddOperand, Conv2dLayer, DenseLayer, TensorFormat, WeightTensor } from '../types.js';
import type { Layout } from './import_layout.js';
import { attrInt, attrInts, DT, type NodeProto, type TensorValue } from './proto.js';

/** Options of `importOnnx`. */
export interface ImportOptions {
  /** model name (default: the graph name) */
  name?: string;
  /** per-sample input shape when the ONNX input has symbolic dims */
  inputShape?: number[];
  /** requantize stages: TFLite fixed-point `multiplier` (default) or ORT float32 `onnx` scales */
  scaling?: 'multiplier' | 'onnx';
  /** variant of the fixed-point multiplier (default double) */
  variant?: 'double' | 'single';
  /** provenance date (default now) */
  date?: string;
}

/** A dense/conv layer whose output stage is not known yet. */
export interface Pending {
  layer: DenseLayer | Conv2dLayer;
  relu: boolean;
}

/** What a tensor name holds during import. */
export type Val =
  /** a float tensor before the first QuantizeLinear, with the layout ops applied to the graph input so far */
  | { t: 'float'; layout: Layout }
  | { t: 'qin'; signed: boolean }
  | { t: 'q'; q: ActQuant }
  | { t: 'dq'; q: ActQuant }
  | { t: 'const'; v: TensorValue }
  | { t: 'dqconst'; v: TensorValue; scale: number[]; zp: number[]; axis: number }
  | { t: 'mac'; p: Pending; float: boolean; unscaled?: boolean }
  /** the float sum of two dequantized layer outputs (QDQ residual), waiting for its QuantizeLinear */
  | { t: 'qadd'; a: AddOperand; b: AddOperand; name: string }
  /** the float average of a dequantized layer output (QDQ GlobalAveragePool), waiting for its QuantizeLinear */
  | { t: 'qgap'; input: ActQuant; name: string }
  | { t: 'acc' };

const U8: TensorFormat = { type: 'int', bits: 8, signed: false };
const I8: TensorFormat = { type: 'int', bits: 8, signed: true };

/** Scale + zero point of an activation (zero point absent: uint8 0, as ONNX specifies). */
export function quantOf(scale: number[] | undefined, zp: Val | undefined, where: string, what: string): ActQuant {
  if (!scale || scale.length !== 1) throw new InputError(`${where}: ${what} scale must be one constant value (per-tensor activations)`);
  if (zp !== undefined && (zp.t !== 'const' || zp.v.values.length !== 1)) throw new InputError(`${where}: ${what} zero point must be one constant value`);
  const dt = zp?.t === 'const' ? zp.v.dataType : DT.UINT8;
  if (dt !== DT.UINT8 && dt !== DT.INT8) throw new InputError(`${where}: ${what} zero point type ${DT[dt] ?? dt}; allowed: uint8, int8`);
  return { format: dt === DT.INT8 ? I8 : U8, scale: Math.fround(scale[0]!), zeroPoint: zp?.t === 'const' ? zp.v.values[0]! : 0 };
}

function weightFormat(dt: number, where: string): TensorFormat {
  if (dt === DT.INT8) return I8;
  if (dt === DT.UINT8) return U8;
  throw new InputError(`${where}: weights of type ${DT[dt] ?? dt}; allowed: int8, uint8`);
}

/** Weights [rows][cols] from ONNX data, transposing a [K, N] matrix when `transpose`. */
function weights(v: TensorValue, scale: number[], zp: number[], transpose: boolean, where: string): WeightTensor {
  let data = Int32Array.from(v.values);
  if (transpose) {
    const [K, N] = v.dims as [number, number];
    data = new Int32Array(K * N);
    for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) data[n * K + k] = v.values[k * N + n]!;
  }
  return { format: weightFormat(v.dataType, where), data, zeroPoint: zp.slice(), scale: scale.map((s) => Math.fround(s)) };
}

/** The input quantization of a MAC op from its input value and (QOperator) declared parameters. */
function inputQuant(x: Val, declared: ActQuant | null, where: string): ActQuant {
  if (x.t === 'q' || x.t === 'dq') {
    if (declared && (declared.scale !== x.q.scale || declared.zeroPoint !== x.q.zeroPoint || declared.format.type !== x.q.format.type)) {
      throw new InputError(`${where}: input quantization (scale ${declared.scale}, zero point ${declared.zeroPoint}) differs from the tensor's (${x.q.scale}, ${x.q.zeroPoint})`);
    }
    return x.q;
  }
  if (x.t === 'qin' && declared) return declared;
  throw new InputError(`${where}: input is ${x.t === 'qin' ? 'an integer graph input of unknown scale' : `a ${x.t} tensor`}; expected quantized integers`);
}

type Get = (i: number) => Val | undefined;
type ConstAt = (i: number) => number[] | undefined;

/**
 * Builds the dense/conv layer of a MAC node. Returns `out` undefined when the output stage comes from
 * later nodes (QDQ float MatMul/Gemm/Conv, integer MatMulInteger/ConvInteger), an ActQuant for
 * QLinear ops, or null for an output that stays an accumulator (QGemm without y_scale).
 */
/** A float MatMul / Gemm / Conv whose input is not a DequantizeLinear output: that part of the graph is float. */
function notQuantized(where: string, op: string): InputError {
  return new InputError(`${where}: float ${op} on a float input: the model is not quantized (QDQ form needs a DequantizeLinear before it); quantize it first, e.g. with onnxruntime.quantization.quantize_static (QDQ or QOperator)`);
}

export function macLayer(node: NodeProto, op: string, x: Val, get: Get, constAt: ConstAt, shape: number[], where: string): { p: Pending; out: ActQuant | null | undefined; float: boolean } {
  const zpVals = (i: number, n: number): number[] => {
    const v = get(i);
    if (v === undefined) return new Array<number>(n).fill(0);
    if (v.t !== 'const') throw new InputError(`${where}: zero point input ${i} must be a constant`);
    return v.v.values;
  };
  const constTensor = (i: number): TensorValue => {
    const v = get(i);
    if (v?.t !== 'const') throw new InputError(`${where}: input ${i} (weights) must be a constant initializer`);
    return v.v;
  };
  const dqWeights = (i: number): { v: TensorValue; scale: number[]; zp: number[]; axis: number } => {
    const v = get(i);
    if (v?.t !== 'dqconst') throw new InputError(`${where}: input ${i} must be DequantizeLinear of constant weights (QDQ)`);
    return v;
  };
  const bias = (v: Val | undefined, n: number): Int32Array | null => {
    if (v === undefined) return null;
    const t = v.t === 'dqconst' || v.t === 'const' ? v.v : null;
    if (!t || t.dataType !== DT.INT32 || t.values.length !== n) throw new InputError(`${where}: bias must be ${n} int32 values`);
    return Int32Array.from(t.values);
  };
  const perChannel = (w: { scale: number[]; axis: number; v: TensorValue }, axis: number) => {
    if (w.scale.length > 1 && (w.axis + w.v.dims.length) % w.v.dims.length !== axis) {
      throw new InputError(`${where}: per-axis weight quantization along axis ${w.axis}; allowed: per tensor or along the output channels (axis ${axis})`);
    }
  };
  const conv = (w: WeightTensor, dims: number[], inQ: ActQuant, b: Int32Array | null): Conv2dLayer => {
    if (attrInt(node, 'group', 1) !== 1) throw new InputError(`${where}: grouped convolution (group ${attrInt(node, 'group', 1)}) is not supported`);
    if ((attrInts(node, 'dilations') ?? [1, 1]).some((d) => d !== 1)) throw new InputError(`${where}: dilations other than 1 are not supported`);
    const ap = node.attribute?.find((a) => a.name === 'auto_pad');
    const autoPad = ap?.s ? new TextDecoder().decode(ap.s) : 'NOTSET';
    if (autoPad !== 'NOTSET' && autoPad !== 'VALID') throw new InputError(`${where}: auto_pad ${autoPad} is not supported; give explicit pads`);
    const s = attrInts(node, 'strides') ?? [1, 1];
    const p = attrInts(node, 'pads') ?? [0, 0, 0, 0];
    if (dims.length !== 4) throw new InputError(`${where}: weights of shape [${dims}]; allowed: [O, C, kh, kw]`);
    return {
      kind: 'conv2d', name: node.name || 'conv', inChannels: dims[1]!, outChannels: dims[0]!, kernel: [dims[2]!, dims[3]!],
      stride: [s[0]!, s[1]!], padding: [p[0]!, p[1]!, p[2]!, p[3]!], input: inQ, weight: w, bias: b, output: { kind: 'accumulator' },
    };
  };
  const dense = (w: WeightTensor, K: number, N: number, inQ: ActQuant, b: Int32Array | null): DenseLayer => {
    if (shape.length !== 1) throw new InputError(`${where}: ${op} on a tensor of shape [${shape}]; flatten it first`);
    return { kind: 'dense', name: node.name || 'dense', inFeatures: K, outFeatures: N, input: inQ, weight: w, bias: b, output: { kind: 'accumulator' } };
  };
  const done = (layer: DenseLayer | Conv2dLayer, out: ActQuant | null | undefined, float: boolean) => ({ p: { layer, relu: false }, out, float });
  const transB = attrInt(node, 'transB', 0) === 1;
  if ((op === 'Gemm' || op === 'QGemm') && attrInt(node, 'transA', 0) !== 0) throw new InputError(`${where}: transA 1 is not supported`);
  switch (op) {
    case 'MatMul':
    case 'Gemm': {
      if (x.t !== 'dq') throw notQuantized(where, op);
      const w = dqWeights(1);
      const tr = op === 'MatMul' || !transB;
      perChannel(w, tr ? 1 : 0);
      if (op === 'Gemm' && (attrFloat(node, 'alpha') !== 1 || (get(2) && attrFloat(node, 'beta') !== 1))) throw new InputError(`${where}: alpha and beta must be 1`);
      const [K, N] = tr ? (w.v.dims as [number, number]) : ([w.v.dims[1]!, w.v.dims[0]!] as [number, number]);
      return done(dense(weights(w.v, w.scale, w.zp, tr, where), K, N, x.q, op === 'Gemm' ? bias(get(2), N) : null), undefined, true);
    }
    case 'Conv': {
      if (x.t !== 'dq') throw notQuantized(where, op);
      const w = dqWeights(1);
      perChannel(w, 0);
      return done(conv(weights(w.v, w.scale, w.zp, false, where), w.v.dims, x.q, bias(get(2), w.v.dims[0]!)), undefined, true);
    }
    case 'MatMulInteger':
    case 'ConvInteger': {
      const t = constTensor(1);
      const aZp = zpVals(2, 1);
      const inQ = x.t === 'qin' ? { format: x.signed ? I8 : U8, scale: 1, zeroPoint: aZp[0]! } : inputQuant(x, null, where);
      if (inQ.zeroPoint !== aZp[0]) throw new InputError(`${where}: a_zero_point ${aZp[0]} differs from the input's zero point ${inQ.zeroPoint}`);
      const N = op === 'MatMulInteger' ? t.dims[1]! : t.dims[0]!;
      const w = weights(t, [1], zpVals(3, 1), op === 'MatMulInteger', where);
      // exportOnnx writes binary (±1) weights as int8 -1 / +1 with zero point 0: the same values, so the same sums
      if (t.dataType === DT.INT8 && w.zeroPoint.every((z) => z === 0) && w.data.every((v) => v === 1 || v === -1)) w.format = { type: 'binary' };
      return done(op === 'MatMulInteger' ? dense(w, t.dims[0]!, N, inQ, null) : conv(w, t.dims, inQ, null), undefined, false);
    }
    case 'QLinearMatMul':
    case 'QLinearConv': {
      const inQ = inputQuant(x, quantOf(constAt(1), get(2), where, 'input'), where);
      const t = constTensor(3);
      const out = quantOf(constAt(6), get(7), where, 'output');
      if (op === 'QLinearMatMul') {
        const [K, N] = t.dims as [number, number];
        const w = weights(t, constAt(4)!, zpVals(5, 1), true, where);
        return done(dense(w, K, N, inQ, null), out, false);
      }
      const w = weights(t, constAt(4)!, zpVals(5, 1), false, where);
      return done(conv(w, t.dims, inQ, bias(get(8), t.dims[0]!)), out, false);
    }
    case 'QGemm': {
      const inQ = inputQuant(x, quantOf(constAt(1), get(2), where, 'input'), where);
      const t = constTensor(3);
      const [K, N] = transB ? ([t.dims[1]!, t.dims[0]!] as [number, number]) : (t.dims as [number, number]);
      const alpha = attrFloat(node, 'alpha');
      const w = weights(t, constAt(4)!.map((s) => Math.fround(alpha * s)), zpVals(5, 1), !transB, where);
      const out = get(7) ? quantOf(constAt(7), get(8), where, 'output') : null;
      return done(dense(w, K, N, inQ, bias(get(6), N)), out, false);
    }
  }
  throw new InputError(`${where}: op ${op} is not a MAC op`);
}

function attrFloat(node: NodeProto, name: string): number {
  const a = node.attribute?.find((x) => x.name === name);
  return a?.f ?? 1;
}

/** Completes a pending layer with its output stage (`out` null: int32 accumulator output). */
export function finishStage(p: Pending, out: ActQuant | null, opts: ImportOptions): DenseLayer | Conv2dLayer {
  const l = p.layer;
  if (!out) {
    l.output = { kind: 'accumulator' };
    return l;
  }
  const { min: qmin, max: qmax } = out.format.type === 'int' && out.format.signed ? { min: -128, max: 127 } : { min: 0, max: 255 };
  const clamp = { min: p.relu ? Math.max(qmin, out.zeroPoint) : qmin, max: qmax };
  const ws = l.weight.scale;
  if (opts.scaling === 'onnx') {
    l.output = { kind: 'requantize', scaling: { kind: 'onnx', scale: ws.map((s) => ortOutputScale(l.input.scale, s, out.scale)) }, output: out, clamp };
    return l;
  }
  const multiplier: number[] = [];
  const shift: number[] = [];
  for (const s of ws) {
    const q = quantizeMultiplier((l.input.scale * s) / out.scale);
    if (q.shift > 30) throw new InputError(`${l.name}: requantization multiplier ${(l.input.scale * s) / out.scale} is too large (shift ${q.shift} > 30)`);
    multiplier.push(q.multiplier);
    shift.push(Math.max(-31, q.shift));
  }
  l.output = { kind: 'requantize', scaling: { kind: 'multiplier', variant: opts.variant ?? 'double', multiplier, shift }, output: out, clamp };
  return l;
}
