import { InputError } from '../../util/errors.js';
import { inputQuant } from '../infer.js';
import { refuseGroupedLayers } from '../group.js';
import { modelShapes } from '../shapes.js';
import { formatName, formatRange, type ActQuant, type Conv2dLayer, type DenseLayer, type FlattenLayer, type MaxPool2dLayer, type QuantizedModel, type TensorFormat } from '../types.js';
import { validateModel } from '../validate.js';
import { DT, encodeModel, makeNode, makeTensor, makeValueInfo, type NodeProto, type TensorProto } from './proto.js';

/**
 * Exports a QuantizedModel to ONNX in QOperator form (ai.onnx opset 13 + com.microsoft 1):
 *   quantize                      -> QuantizeLinear
 *   dense, requantize, no bias    -> QLinearMatMul (B = W^T [K, N]; per-column b_scale/b_zero_point as [1, N])
 *   dense, requantize, bias       -> com.microsoft QGemm (transB 1, C = int32 bias)
 *   conv2d, requantize            -> QLinearConv (int32 bias B)
 *   dense / conv2d, accumulator   -> MatMulInteger / ConvInteger (+ Add of the int32 bias): int32 output
 *   dense / conv2d, threshold     -> MatMulInteger / ConvInteger (+ bias), then the count of thresholds reached
 *                                    in integers: GreaterOrEqual(Unsqueeze(acc, -1), T) -> Cast int32 ->
 *                                    ReduceSum(-1) -> (*2) + offset -> Cast to the int8 / uint8 container ->
 *                                    DequantizeLinear -> QuantizeLinear with the output's scale and zero point
 *                                    (an identity on the codes: each float32 step errs by at most 2^-24
 *                                    relative, so QuantizeLinear sees (q - z)(1 + e), |e| < 2^-21, |q - z| <=
 *                                    255: within 1/2 of q - z, it rounds back to q; the pair carries the
 *                                    output quantization for the import, import_threshold.ts)
 *   binary quantize               -> 2 * int32(x >= 0) - 1 as int8, then the same DequantizeLinear ->
 *                                    QuantizeLinear pair
 *   a clamp narrower than 8 bits  -> Clip after the op (sub-8-bit formats travel in 8-bit containers)
 *   binary (±1) tensors           -> int8 holding -1 / +1 (zero point 0)
 *   maxpool2d -> MaxPool, flatten -> Flatten, clamp -> Clip
 *   add -> com.microsoft QLinearAdd (the operands' tensors by layer index), globalavgpool ->
 *   com.microsoft QLinearGlobalAveragePool (channels_last 0): ORT computes them as lowbit does
 * ONNX Runtime then rescales in float32 from the float scales: it reproduces lowbit's `onnxruntime` requant
 * mode exactly (the `fixed` multipliers are not expressible in ONNX). Threshold stages are integer ops, exact.
 * Formats wider than 8 bits have no QOperator form: InputError naming the layer.
 */
export function exportOnnx(model: QuantizedModel): Uint8Array {
  validateModel(model, 'exportOnnx');
  refuseGroupedLayers(model.layers, 'ONNX QOperator ops take one weight scale per output channel', 'export a model quantized without --group');
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
    if (f.type === 'binary') return DT.INT8;
    if (f.bits > 8) throw new InputError(`exportOnnx: ${where}: format ${formatName(f)} has no ONNX QOperator form (int1..8 / uint1..8 only)`);
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
  /** DequantizeLinear -> QuantizeLinear of integer codes with their own scale and zero point: the same codes */
  const carryQuant = (codes: string, q: ActQuant, base: string, name: string, where: string): string => {
    const sz = quantInputs(q, base, where);
    nodes.push(makeNode('DequantizeLinear', [codes, ...sz], [`${base}_dq`], `${name}_dq`));
    nodes.push(makeNode('QuantizeLinear', [`${base}_dq`, ...sz], [base], name));
    return base;
  };
  /** the tensor holding each layer's output (an add reads two of them) */
  const outs: string[] = [];
  model.layers.forEach((l, i) => {
    const where = `layers[${i}] (${l.name})`;
    switch (l.kind) {
      case 'add':
      case 'globalavgpool': {
        const out = fresh(l.kind);
        if (l.kind === 'globalavgpool' && dtOf(l.input.format, where) !== dtOf(l.output.format, where)) {
          throw new InputError(`exportOnnx: ${where}: a globalavgpool from ${formatName(l.input.format)} to ${formatName(l.output.format)} has no ONNX form (QLinearGlobalAveragePool has one element type); \`lowbit infer\` runs the model`);
        }
        const ins = l.kind === 'add'
          ? [outs[l.a.from]!, ...quantInputs(l.a.quant, `${out}_a`, where), outs[l.b.from]!, ...quantInputs(l.b.quant, `${out}_b`, where)]
          : [cur, ...quantInputs(l.input, `${out}_x`, where)];
        nodes.push(makeNode(l.kind === 'add' ? 'QLinearAdd' : 'QLinearGlobalAveragePool', [...ins, ...quantInputs(l.output, `${out}_y`, where)], [out], l.name,
          l.kind === 'add' ? {} : { channels_last: 0 }, 'com.microsoft'));
        cur = out;
        curQ = l.output;
        break;
      }
      case 'quantize': {
        const out = fresh('q');
        if (l.output.format.type === 'binary') {
          // +1 for x >= 0, -1 otherwise: 2 * int32(x >= 0) - 1
          nodes.push(makeNode('GreaterOrEqual', [cur, scalar(`${out}_zero`, DT.FLOAT, 0)], [`${out}_ge`], `${l.name}_ge`));
          nodes.push(makeNode('Cast', [`${out}_ge`], [`${out}_ge32`], `${l.name}_cast`, { to: DT.INT32 }));
          nodes.push(makeNode('Mul', [`${out}_ge32`, scalar(`${out}_two`, DT.INT32, 2)], [`${out}_2y`], `${l.name}_mul`));
          nodes.push(makeNode('Sub', [`${out}_2y`, scalar(`${out}_one`, DT.INT32, 1)], [`${out}_pm`], `${l.name}_sub`));
          nodes.push(makeNode('Cast', [`${out}_pm`], [`${out}_pm8`], `${l.name}_cast8`, { to: DT.INT8 }));
          cur = carryQuant(`${out}_pm8`, l.output, out, l.name, where);
          curQ = l.output;
          break;
        }
        nodes.push(makeNode('QuantizeLinear', [cur, ...quantInputs(l.output, out, where)], [out], l.name));
        cur = out;
        curQ = l.output;
        const r = formatRange(l.output.format);
        clip(r.min, r.max, l.output, where);
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
        if (!curQ) throw new InputError(`exportOnnx: ${where}: clamp of an int32 tensor is not exported`);
        clip(l.min, l.max, curQ, where);
        break;
      }
      case 'dense':
      case 'conv2d': {
        cur = macNode(l, cur, where);
        curQ = l.output.kind === 'accumulator' ? null : l.output.output;
        if (l.output.kind === 'requantize') clip(l.output.clamp.min, l.output.clamp.max, l.output.output, where);
        if (l.output.kind === 'threshold') {
          cur = carryQuant(cur, l.output.output, fresh('thr_out'), `${l.name}_out`, where);
          const f = l.output.output.format;
          if (f.type === 'int') clip(formatRange(f).min, formatRange(f).max, l.output.output, where);
        }
        break;
      }
    }
    outs.push(cur);
  });

  function macNode(l: DenseLayer | Conv2dLayer, x: string, where: string): string {
    const st = l.output;
    const wdt = dtOf(l.weight.format, where);
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
    if (st.kind !== 'requantize') {
      const aZp = scalar(`${base}_x_zero_point`, dtOf(l.input.format, where), l.input.zeroPoint);
      nodes.push(makeNode(dense ? 'MatMulInteger' : 'ConvInteger', [x, wName, aZp, wZp], [out], l.name, convAttrs));
      let acc = out;
      if (l.bias) {
        const b = `${base}_bias`;
        inits.push(makeTensor(b, DT.INT32, dense ? [O] : [O, 1, 1], l.bias));
        nodes.push(makeNode('Add', [out, b], [`${out}_b`], `${l.name}_bias`));
        acc = `${out}_b`;
      }
      return st.kind === 'accumulator' ? acc : thresholdNodes(l, acc, base, where);
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

  /** y = #{t : acc >= T[o][t]} + offset (bipolar: 2 y - 1) in int32, cast to the output container. */
  function thresholdNodes(l: DenseLayer | Conv2dLayer, acc: string, base: string, where: string): string {
    const st = l.output as Extract<DenseLayer['output'], { kind: 'threshold' }>;
    const S = st.steps;
    // acc [N, O] or [N, O, H, W] -> [..., 1] against T [O, S] (dense) or [O, 1, 1, S] (conv); shared: [S]
    const tDims = st.channels === 1 ? [S] : l.kind === 'dense' ? [st.channels, S] : [st.channels, 1, 1, S];
    inits.push(makeTensor(`${base}_T`, DT.INT32, tDims, st.thresholds));
    inits.push(makeTensor(`${base}_last`, DT.INT64, [1], [-1]));
    const name = (s: string) => `${base}_${s}`;
    nodes.push(makeNode('Unsqueeze', [acc, name('last')], [name('u')], name('unsqueeze')));
    nodes.push(makeNode('GreaterOrEqual', [name('u'), name('T')], [name('ge')], name('ge')));
    nodes.push(makeNode('Cast', [name('ge')], [name('ge32')], name('cast_ge'), { to: DT.INT32 }));
    nodes.push(makeNode('ReduceSum', [name('ge32'), name('last')], [name('count')], name('count'), { keepdims: 0 }));
    let y = name('count');
    if (st.bipolar) {
      nodes.push(makeNode('Mul', [y, scalar(name('two'), DT.INT32, 2)], [name('count2')], name('bipolar')));
      y = name('count2');
    }
    const add = st.bipolar ? 2 * st.offset - 1 : st.offset;
    if (add !== 0) {
      nodes.push(makeNode('Add', [y, scalar(name('offset'), DT.INT32, add)], [name('level')], name('offset')));
      y = name('level');
    }
    nodes.push(makeNode('Cast', [y], [name('codes')], name('cast_out'), { to: dtOf(st.output.format, where) }));
    return name('codes');
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

/** The ONNX node of a layer that moves integers without arithmetic: Flatten (axis 1) or MaxPool. */
export function layoutNode(l: FlattenLayer | MaxPool2dLayer, input: string, output: string): NodeProto {
  return l.kind === 'flatten'
    ? makeNode('Flatten', [input], [output], l.name, { axis: 1 })
    : makeNode('MaxPool', [input], [output], l.name, { kernel_shape: l.kernel, strides: l.stride, pads: l.padding });
}
