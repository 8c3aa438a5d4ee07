import { InputError } from '../../util/errors.js';
import { smallestIntFormat } from '../../arith/index.js';
import { refuseGroupedLayers } from '../group.js';
import { modelShapes } from '../shapes.js';
import { applyOutputStage } from '../stages.js';
import { formatName, formatRange, type ActQuant, type Conv2dLayer, type DenseLayer, type QuantizedModel } from '../types.js';
import { validateModel } from '../validate.js';
import { layoutNode } from './export.js';
import { DT, encodeModel, makeNode, makeTensor, makeValueInfo, type NodeProto, type TensorProto } from './proto.js';
import { accumulatorBound, monotoneThresholds } from './qonnx_fold.js';

export const QONNX_DOMAIN = 'qonnx.custom_op.general';

/**
 * Exports a QuantizedModel to QONNX (docs/qonnx.md), the form FINN reads after streamlining:
 *   quantize (zero point 0)       -> Quant(x, s, 0, bits, signed, narrow 0, ROUND); binary: BipolarQuant(x, s)
 *   dense / conv2d weights        -> Quant(float32(w - wZp) * ws, ws, wZp, bits) (binary: BipolarQuant(w * ws, ws))
 *                                    feeding MatMul (W^T, [K, N]) / Conv (OIHW)
 *   threshold / requantize stage  -> MultiThreshold on the accumulator; a requantize stage is a nondecreasing
 *                                    function of acc, replaced by its exact thresholds (qonnx_fold.ts); the bias
 *                                    is folded in: acc + bias >= T  <=>  acc >= T - bias
 *   accumulator stage (logits)    -> weights scaled by inScale * wScale[o], + Add of the bias (real units)
 *   maxpool2d -> MaxPool, flatten -> Flatten, clamp [zeroPoint, max] -> Relu, a clamp to the full range: nothing
 * Units: after the input Quant the graph carries real values q * s; after each MultiThreshold it carries the
 * integers q - zeroPoint (out_scale 1, out_bias offset - zeroPoint; bipolar: out_scale 2, out_bias -1), so
 * every layer past the first is integer arithmetic in float32 (exact while |acc| < 2^24). Thresholds on the
 * first layer's real accumulator s * acc sit half a step below each integer threshold: float32(s (T - 0.5)).
 * The last layer keeps its codes (out_bias = offset) when it is a threshold stage. lowbit's QONNX import of
 * the file computes the same integer outputs (test/unit/qonnx_export.test.ts). Not representable (InputError
 * naming the layer): an input zero point other than 0 (Quant rounds x / s + z as a whole), other clamps,
 * weight formats int1 / wider than 16 bits, a bipolar stage with an offset, a decreasing requantizer.
 */
export function exportQonnx(model: QuantizedModel): Uint8Array {
  validateModel(model, 'exportQonnx');
  refuseGroupedLayers(model.layers, 'the QONNX export writes one weight scale per output channel', 'export a model quantized without --group');
  const nodes: NodeProto[] = [];
  const inits: TensorProto[] = [];
  let cur = 'input';
  /** real value of one integer step of the tensor `cur` in the graph (1 after a MultiThreshold) */
  let unit = 1;
  /** the model's quantization of `cur` (its codes minus zero point flow in the graph, or the codes: `codes`) */
  let curQ: ActQuant | null = null;
  let codes = false;
  let n = 0;
  const fresh = (base: string) => `${base}_${n++}`;
  const konst = (name: string, dims: number[], v: ArrayLike<number>) => {
    inits.push(makeTensor(name, DT.FLOAT, dims, v));
    return name;
  };
  const macs = model.layers.filter((l) => l.kind === 'dense' || l.kind === 'conv2d');
  const lastMac = macs[macs.length - 1];

  model.layers.forEach((l, i) => {
    const where = `exportQonnx: layers[${i}] (${l.name})`;
    switch (l.kind) {
      case 'quantize': {
        const q = l.output;
        const out = fresh('quant');
        if (q.format.type === 'binary') {
          nodes.push(makeNode('BipolarQuant', [cur, konst(`${out}_scale`, [], [q.scale])], [out], l.name, {}, QONNX_DOMAIN));
        } else {
          if (q.zeroPoint !== 0) throw new InputError(`${where}: input zero point ${q.zeroPoint}: QONNX Quant rounds x / s + z as a whole, which differs from QuantizeLinear's round(x / s) + z; only zero point 0 is exact`);
          nodes.push(makeNode('Quant', [cur, konst(`${out}_scale`, [], [q.scale]), konst(`${out}_zeropt`, [], [0]), konst(`${out}_bitwidth`, [], [q.format.bits])], [out], l.name,
            { signed: q.format.signed ? 1 : 0, narrow: 0, rounding_mode: { s: 'ROUND' } }, QONNX_DOMAIN));
        }
        cur = out;
        unit = Math.fround(q.scale);
        curQ = q;
        break;
      }
      case 'flatten':
      case 'maxpool2d': {
        const out = fresh(l.kind);
        nodes.push(layoutNode(l, cur, out));
        cur = out;
        break;
      }
      case 'clamp': {
        const r = formatRange(curQ!.format);
        if (l.min <= r.min && l.max >= r.max) break; // the identity on this format
        if (l.min !== curQ!.zeroPoint || l.max < r.max || (codes && curQ!.zeroPoint !== 0)) throw new InputError(`${where}: clamp [${l.min}, ${l.max}] of ${formatName(curQ!.format)} (zero point ${curQ!.zeroPoint}) has no QONNX form; only a ReLU (min = zero point) is exported`);
        const out = fresh('relu');
        nodes.push(makeNode('Relu', [cur], [out], l.name));
        cur = out;
        break;
      }
      case 'dense':
      case 'conv2d':
        macNodes(l, where, l === lastMac);
        break;
      case 'add':
      case 'globalavgpool':
        throw new InputError(`${where}: ${l.kind} (ONNX Runtime's float32 QLinear rule) has no exact QONNX form; export with --format onnx`);
    }
  });

  function macNodes(l: DenseLayer | Conv2dLayer, where: string, last: boolean) {
    const dense = l.kind === 'dense';
    const O = dense ? l.outFeatures : l.outChannels;
    const K = l.weight.data.length / O;
    const st = l.output;
    const ch = (a: number[], o: number) => (a.length === 1 ? a[0]! : a[o]!);
    // weight scale per output channel: 1 (integers) before a MultiThreshold; the real output scale at the logits
    const ws = Array.from({ length: O }, (_, o) =>
      st.kind !== 'accumulator' ? 1 : unit === Math.fround(l.input.scale) ? ch(l.weight.scale, o) : Math.fround(Math.fround(l.input.scale) * Math.fround(ch(l.weight.scale, o))) / unit);
    const wf = l.weight.format;
    const base = fresh(l.kind);
    const wReal = new Float32Array(O * K);
    for (let o = 0; o < O; o++) {
      for (let k = 0; k < K; k++) {
        const w = l.weight.data[o * K + k]! - (wf.type === 'binary' ? 0 : ch(l.weight.zeroPoint, o));
        // MatMul takes W^T [K, O]; Conv OIHW as stored
        wReal[dense ? k * O + o : o * K + k] = w * ws[o]!;
      }
    }
    const perCh = new Set(ws).size > 1 || new Set(l.weight.zeroPoint).size > 1;
    const pDims = !perCh ? [] : dense ? [1, O] : [O, 1, 1, 1];
    const param = (a: number[]) => (perCh ? a : [a[0]!]);
    const wName = konst(`${base}_W`, dense ? [K, O] : [O, l.inChannels, l.kernel[0], l.kernel[1]], wReal);
    const scale = konst(`${base}_W_scale`, pDims, param(ws));
    if (wf.type === 'binary') nodes.push(makeNode('BipolarQuant', [wName, scale], [`${base}_Wq`], `${l.name}_weight_quant`, {}, QONNX_DOMAIN));
    else {
      if (wf.bits > 16 || (wf.bits === 1 && wf.signed)) throw new InputError(`${where}: weight format ${formatName(wf)} has no QONNX Quant form here (int2..16, uint1..16, binary)`);
      const zp = konst(`${base}_W_zeropt`, pDims, param(Array.from({ length: O }, (_, o) => ch(l.weight.zeroPoint, o))));
      nodes.push(makeNode('Quant', [wName, scale, zp, konst(`${base}_W_bitwidth`, [], [wf.bits])], [`${base}_Wq`], `${l.name}_weight_quant`,
        { signed: wf.signed ? 1 : 0, narrow: 0, rounding_mode: { s: 'ROUND' } }, QONNX_DOMAIN));
    }
    const acc = `${base}_acc`;
    if (dense) nodes.push(makeNode('MatMul', [cur, `${base}_Wq`], [acc], l.name));
    else nodes.push(makeNode('Conv', [cur, `${base}_Wq`], [acc], l.name, { kernel_shape: l.kernel, strides: l.stride, pads: l.padding }));
    cur = acc;
    const bias = (o: number) => (l.bias ? l.bias[o]! : 0);

    if (st.kind === 'accumulator') {
      // the graph's y = unit * ws[o] * acc; the bias in the same units (lowbit's import rounds b / a back)
      if (l.bias) {
        const b = Array.from({ length: O }, (_, o) => bias(o) * unit * ws[o]!);
        nodes.push(makeNode('Add', [acc, konst(`${base}_bias`, dense ? [1, O] : [1, O, 1, 1], b)], [`${base}_y`], `${l.name}_bias`));
        cur = `${base}_y`;
      }
      curQ = null;
      return;
    }

    // thresholds on acc + bias: the stage's own, or those of the requantizer (a nondecreasing function of acc)
    let th: Int32Array;
    let S: number;
    let C: number;
    let offset: number;
    let bipolar = false;
    if (st.kind === 'threshold') {
      [th, S, C, offset, bipolar] = [st.thresholds, st.steps, st.channels, st.offset, st.bipolar];
      if (bipolar && offset !== 0) throw new InputError(`${where}: a bipolar threshold stage with offset ${offset} has no MultiThreshold form (bipolar is out_scale 2, out_bias -1)`);
    } else {
      const { min, max } = st.clamp;
      S = max - min;
      C = O;
      offset = min;
      const buf = new Int32Array(O);
      const levels = (a: Int32Array) => applyOutputStage(l, a, 1, 'fixed', buf);
      const bound = accumulatorBound(l);
      // a requantizer is nondecreasing for non-negative multipliers; check it at the ends of the range
      const lo = levels(Int32Array.from(bound, (b) => -b)).slice();
      const hi = levels(Int32Array.from(bound));
      for (let o = 0; o < O; o++) if (lo[o]! > hi[o]!) throw new InputError(`${where}: output channel ${o}: the requantizer decreases with the accumulator; no MultiThreshold form`);
      th = monotoneThresholds(levels, bound, Array.from({ length: S }, (_, k) => min + k + 1), where);
      if (S === 0) {
        // a constant output (clamp min = max): one threshold the accumulator never reaches
        th = Int32Array.from(bound, (b) => b + 1);
        S = 1;
      }
    }
    const perChannelT = C > 1 || l.bias !== null;
    const Tc = perChannelT ? O : 1;
    const T = new Float32Array(Tc * S);
    for (let o = 0; o < Tc; o++) {
      for (let t = 0; t < S; t++) {
        const k = th[(C === 1 ? 0 : o) * S + t]! - bias(o); // acc >= k
        const r = unit === 1 ? k : Math.fround(unit * (k - 0.5));
        if (unit !== 1 && !(Math.fround(unit * (k - 1)) < r && r <= Math.fround(unit * k))) throw new InputError(`${where}: threshold ${k} at step ${unit} is not separable in float32`);
        if (unit === 1 && Math.abs(k) > 2 ** 24) throw new InputError(`${where}: threshold ${k} is beyond float32's integers`);
        T[o * S + t] = r;
      }
    }
    const out = st.output;
    const bOut = bipolar ? -1 : last ? offset : offset - out.zeroPoint;
    const outDtype = bipolar ? 'BIPOLAR' : dtypeName(bOut, bOut + S);
    const y = `${base}_mt`;
    nodes.push(makeNode('MultiThreshold', [acc, konst(`${base}_thresholds`, [Tc, S], T)], [y], `${l.name}_threshold`,
      { out_scale: { f: bipolar ? 2 : 1 }, out_bias: { f: bOut }, out_dtype: { s: outDtype }, data_layout: { s: 'NCHW' } }, QONNX_DOMAIN));
    cur = y;
    unit = 1;
    curQ = out;
    codes = last && !bipolar;
  }

  const iq = model.layers[0]!;
  if (iq.kind !== 'quantize') throw new InputError('exportQonnx: layers[0] is not a quantize layer; a QONNX graph takes float input');
  return encodeModel({
    irVersion: 7,
    producerName: 'lowbit',
    producerVersion: '0.1.0',
    opsetImport: [{ domain: '', version: 13 }, { domain: QONNX_DOMAIN, version: 1 }],
    graph: {
      name: model.name,
      node: nodes,
      initializer: inits,
      input: [makeValueInfo('input', DT.FLOAT, ['N', ...model.inputShape])],
      output: [makeValueInfo(cur, DT.FLOAT, ['N', ...modelShapes(model).at(-1)!])],
    },
  });
}

/** FINN's DataType name of the smallest integer type holding [lo, hi] (INT4, UINT2, ...). */
function dtypeName(lo: number, hi: number): string {
  const f = smallestIntFormat(lo, hi);
  return `${f.signed ? 'INT' : 'UINT'}${f.bits}`;
}
