import { InputError } from '../../util/errors.js';
import { inputQuant } from '../infer.js';
import { modelShapes } from '../shapes.js';
import { formatName, formatRange, type ActQuant, type Conv2dLayer, type DenseLayer, type QuantizedModel, type TensorFormat } from '../types.js';
import { validateModel } from '../validate.js';
import { DT, encodeModel, makeNode, makeTensor, makeValueInfo, type NodeProto, type TensorProto } from './proto.js';

/**
 * Exports a QuantizedModel to ONNX in QOperator form (ai.onnx opset 13 + com.microsoft 1):
 *   quantize                      -> QuantizeLinear
 *   dense, requantize, no bias    -> QLinearMatMul (B = W^T [K, N]; per-column b_scale/b_zero_point as [1, N])
 *   dense, requantize, bias       -> com.microsoft QGemm (transB 1, C = int32 bias)
 *   conv2d, requantize            -> QLinearConv (int32 bias B)
 *   dense / conv2d, accumulator   -> MatMulInteger / ConvInteger (+ Add of the int32 bias): int32 output
 *   a clamp narrower than 8 bits  -> Clip after the op (sub-8-bit formats travel in 8-bit containers)
 *   maxpool2d -> MaxPool, flatten -> Flatten, clamp -> Clip
 * ONNX Runtime then rescales in float32 from the float scales: it reproduces lowbit's `onnxruntime` requant
 * mode exactly (the `fixed` multipliers are not expressible in ONNX). Threshold stages, binary activations
 * and formats wider than 8 bits have no QOperator form: InputError naming the layer.
 */
export function exportOnnx(model: QuantizedModel): Uint8Array {
  validateModel(model, 'exportOnnx');
  const shapes = modelShapes(model);
  const nodes: NodeProto[] = [];
  const inits: TensorProto[] = [];
  let cur = 'input';
  let curQ: ActQuant | null = null;
  let n = 0;
  const fresh = (base: string) => `${base}_${n++}`;
  const scalar = (name: string, dt: number, v: number) => {
    inits.push(makeTensor(name, dt, [], [v]));
    return name;
  };
  const dtOf = (f: TensorFormat, where: string): number => {
    if (f.type !== 'int' || f.bits > 8) throw new InputError(`exportOnnx: ${where}: format ${formatName(f)} has no ONNX QOperator form (int1..8 / uint1..8 only)`);
    return f.signed ? DT.INT8 : DT.UINT8;
  };
  const quantInputs = (q: ActQuant, base: string, where: string): [string, string] => [
    scalar(`${base}_scale`, DT.FLOAT, q.scale),
    scalar(`${base}_zero_point`, dtOf(q.format, where), q.zeroPoint),
  ];
  const clip = (min: number, max: number, q: ActQuant, where: string) => {
    const full = q.format.type === 'int' && q.format.signed ? { min: -128, max: 127 } : { min: 0, max: 255 };
    if (min === full.min && max === full.max) return;
    const dt = dtOf(q.format, where);
    const out = fresh('clip');
    nodes.push(makeNode('Clip', [cur, scalar(`${out}_min`, dt, min), scalar(`${out}_max`, dt, max)], [out], out));
    cur = out;
  };
  model.layers.forEach((l, i) => {
    const where = `layers[${i}] (${l.name})`;
    switch (l.kind) {
      case 'quantize': {
        const out = fresh('q');
        nodes.push(makeNode('QuantizeLinear', [cur, ...quantInputs(l.output, out, where)], [out], l.name));
        cur = out;
        curQ = l.output;
        const r = formatRange(l.output.format);
        clip(r.min, r.max, l.output, where);
        break;
      }
      case 'flatten': {
        const out = fresh('flatten');
        nodes.push(makeNode('Flatten', [cur], [out], l.name, { axis: 1 }));
        cur = out;
        break;
      }
      case 'maxpool2d': {
        const out = fresh('pool');
        nodes.push(makeNode('MaxPool', [cur], [out], l.name, { kernel_shape: l.kernel, strides: l.stride, pads: l.padding }));
        cur = out;
        break;
      }
      case 'clamp': {
        if (!curQ) throw new InputError(`exportOnnx: ${where}: clamp of an int32 tensor is not exported`);
        clip(l.min, l.max, curQ, where);
        break;
      }
      case 'dense':
      case 'conv2d': {
        cur = macNode(l, cur, where);
        curQ = l.output.kind === 'requantize' ? l.output.output : null;
        if (l.output.kind === 'requantize') clip(l.output.clamp.min, l.output.clamp.max, l.output.output, where);
        break;
      }
    }
  });

  function macNode(l: DenseLayer | Conv2dLayer, x: string, where: string): string {
    const st = l.output;
    if (st.kind === 'threshold') throw new InputError(`exportOnnx: ${where}: threshold (MultiThreshold) stages have no ONNX QOperator form`);
    const wdt = l.weight.format.type === 'binary' ? DT.INT8 : dtOf(l.weight.format, where);
    const O = l.kind === 'dense' ? l.outFeatures : l.outChannels;
    const base = fresh(l.kind);
    const out = `${base}_out`;
    const dense = l.kind === 'dense';
    const K = dense ? l.inFeatures : 0;
    // weights: dense as B = W^T [K, N] (QLinearMatMul, MatMulInteger) or W [N, K] (QGemm transB); conv OIHW
    const useQGemm = dense && st.kind === 'requantize' && l.bias !== null;
    let wName = `${base}_W`;
    if (dense && !useQGemm) {
      const t = new Int32Array(K * O);
      for (let o = 0; o < O; o++) for (let k = 0; k < K; k++) t[k * O + o] = l.weight.data[o * K + k]!;
      inits.push(makeTensor(wName, wdt, [K, O], t));
    } else {
      const dims = dense ? [O, K] : [O, l.inChannels, l.kernel[0], l.kernel[1]];
      inits.push(makeTensor(wName, wdt, dims, l.weight.data));
    }
    const perCh = l.weight.scale.length > 1 || l.weight.zeroPoint.length > 1;
    const expand = (a: number[]) => (a.length === O ? a : new Array<number>(O).fill(a[0]!));
    const wDims = !perCh ? [] : dense && !useQGemm ? [1, O] : [O];
    const wScale = `${base}_W_scale`;
    const wZp = `${base}_W_zero_point`;
    inits.push(makeTensor(wScale, DT.FLOAT, wDims, perCh ? expand(l.weight.scale) : l.weight.scale));
    if (l.kind === 'conv2d' && new Set(l.weight.zeroPoint).size > 1) throw new InputError(`exportOnnx: ${where}: QLinearConv needs one weight zero point`);
    const zpDims = l.kind === 'conv2d' ? [] : wDims;
    inits.push(makeTensor(wZp, wdt, zpDims, l.kind === 'conv2d' ? [l.weight.zeroPoint[0]!] : perCh ? expand(l.weight.zeroPoint) : l.weight.zeroPoint));
    const convAttrs: Record<string, number[]> = l.kind === 'conv2d' ? { kernel_shape: l.kernel, strides: l.stride, pads: l.padding } : {};
    if (st.kind === 'accumulator') {
      const aZp = scalar(`${base}_x_zero_point`, dtOf(l.input.format, where), l.input.zeroPoint);
      nodes.push(makeNode(dense ? 'MatMulInteger' : 'ConvInteger', [x, wName, aZp, wZp], [out], l.name, convAttrs));
      if (!l.bias) return out;
      const b = `${base}_bias`;
      inits.push(makeTensor(b, DT.INT32, dense ? [O] : [O, 1, 1], l.bias));
      nodes.push(makeNode('Add', [out, b], [`${out}_b`], `${l.name}_bias`));
      return `${out}_b`;
    }
    const [xs, xz] = quantInputs(l.input, `${base}_x`, where);
    const [ys, yz] = quantInputs(st.output, `${base}_y`, where);
    if (useQGemm) {
      const b = `${base}_bias`;
      inits.push(makeTensor(b, DT.INT32, [O], l.bias!));
      nodes.push(makeNode('QGemm', [x, xs, xz, wName, wScale, wZp, b, ys, yz], [out], l.name, { transB: 1 }, 'com.microsoft'));
    } else if (dense) {
      nodes.push(makeNode('QLinearMatMul', [x, xs, xz, wName, wScale, wZp, ys, yz], [out], l.name));
    } else {
      const ins = [x, xs, xz, wName, wScale, wZp, ys, yz];
      if (l.bias) {
        inits.push(makeTensor(`${base}_bias`, DT.INT32, [O], l.bias));
        ins.push(`${base}_bias`);
      }
      nodes.push(makeNode('QLinearConv', ins, [out], l.name, convAttrs));
    }
    return out;
  }

  const outShape = shapes[shapes.length - 1]!;
  const outType = curQ ? dtOf((curQ as ActQuant).format, 'output') : DT.INT32;
  const first = model.layers[0]!;
  const iq = inputQuant(model);
  const inElem = first.kind === 'quantize' || !iq ? DT.FLOAT : dtOf(iq.format, 'input');
  return encodeModel({
    irVersion: 7,
    producerName: 'lowbit',
    producerVersion: '0.1.0',
    opsetImport: [{ domain: '', version: 13 }, { domain: 'com.microsoft', version: 1 }],
    graph: {
      name: model.name,
      node: nodes,
      initializer: inits,
      input: [makeValueInfo('input', inElem, ['N', ...model.inputShape])],
      output: [makeValueInfo(cur, outType, ['N', ...outShape])],
    },
  });
}
