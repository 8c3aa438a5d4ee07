import { InputError } from '../../util/errors.js';
import { SCHEMA_VERSION, formatRange, type ActQuant, type Conv2dLayer, type DenseLayer, type Layer, type QuantizedModel, type TensorFormat } from '../types.js';
import { validateModel } from '../validate.js';
import { LayerChain } from './import_chain.js';
import { applyLayout, LAYOUT_OPS, permuteColumns, type Layout } from './import_layout.js';
import type { ImportOptions } from './import_ops.js';
import { attr, attrInt, attrInts, num, readTensor, type ModelProto, type NodeProto, type TensorValue } from './proto.js';
import { accumulatorBound, monotoneThresholds, perChannel, type LevelFn } from './qonnx_fold.js';
import { smallestIntFormat } from '../../arith/index.js';
import { datatypeAnnotations, datatypeFormat, integerWeightFormat } from './qonnx_datatype.js';
import { bipolarFromBinary, bipolarWeights, im2colGeometry, maxPoolNhwcLayer, patchMatrixToOihw, type ConvGeometry } from './qonnx_lowered.js';
import { parseRounding, quantInt, quantIntRange, qonnxRound, truncStep, type QuantParams } from './qonnx_ops.js';

/**
 * Import of QONNX graphs (Brevitas `export_qonnx`, FINN after streamlining) into a QuantizedModel, exactly:
 *   Quant / BipolarQuant of a constant      -> integer weights (int / uint / binary) and per-channel scales
 *   Quant of the float graph input          -> the `quantize` layer (ROUND, zero point 0; narrow -> + clamp)
 *   MatMul / Gemm / Conv of a quantized tensor and such weights -> dense / conv2d; the real value of each output
 *     channel is then tracked as an affine function of the integer accumulator, y = a[o] * acc + b[o], through
 *     Add / Sub / Mul / Div by constants and BatchNormalization (float64: exact for power-of-two scales)
 *   Quant / BipolarQuant / Trunc / MultiThreshold / Sign (after an optional Relu) of that y -> a threshold stage:
 *     the op's integer output is a nondecreasing function of acc, so it equals #{t : acc >= T[o][t]} + offset with
 *     integer thresholds found by bisection on the function itself (qonnx_fold.ts)
 *   a graph output that is still y -> an `accumulator` stage (b / a must be a whole number of steps: the bias)
 *   MaxPool, Relu (clamp at the zero point), Flatten / Reshape on quantized tensors; layout ops on the float input.
 *   TopK k = 1 on the logits, its indices the graph output (FINN's InsertTopK): the model outputs those logits,
 *     whose argmax is TopK's index (one positive output scale required; provenance notes say so).
 *   FINN's lowered convolutions (qonnx_lowered.ts): Transposes to NHWC are tracked as views of lowbit's NCHW maps;
 *     Im2Col + MatMul (or a MatMul of an NHWC map) -> conv2d, MaxPoolNHWC -> maxpool2d.
 * Anything else, or anything that cannot be represented exactly (a non-constant scale, a negative channel scale,
 * a non-integer zero point, a float op between quantized layers), is an InputError naming the node and why.
 */

interface Mac {
  layer: DenseLayer | Conv2dLayer;
  /** y[o] = a[o] * acc[o] + b[o] */
  a: number[];
  b: number[];
  relu: boolean;
}

type V =
  | { t: 'float'; layout: Layout }
  | { t: 'const'; v: TensorValue }
  | { t: 'w'; v: TensorValue; q: number[]; scale: number[]; zp: number[]; format: TensorFormat; axisScale: number[] }
  /** `nhwc`: a 4-D feature map transposed to NHWC (Transpose perm [0, 2, 3, 1]); lowbit stores it NCHW */
  | { t: 'act'; q: ActQuant; nhwc?: boolean }
  | { t: 'aff'; m: Mac; nhwc?: boolean }
  /** Im2Col of an NHWC map: patches in FINN's (ky, kx, c) order, for a MatMul to make a conv2d of `g` */
  | { t: 'patches'; q: ActQuant; g: ConvGeometry }
  /** the indices of TopK k = 1 over the logits `of` (FINN's InsertTopK): their argmax */
  | { t: 'argmax'; of: V };

const TO_NHWC = '0,2,3,1';
const TO_NCHW = '0,3,1,2';

export const QONNX_OPS = new Set(['Quant', 'IntQuant', 'BipolarQuant', 'Trunc', 'MultiThreshold', 'Im2Col', 'MaxPoolNHWC', 'XnorPopcountMatMul']);

/** Ops that read an NHWC map (elementwise or per-tensor, a channels-last MultiThreshold, FINN's NHWC ops). */
const NHWC_OPS = new Set(['Transpose', 'MultiThreshold', 'Relu', 'Identity', 'Quant', 'IntQuant', 'BipolarQuant', 'Trunc', 'Sign', 'Add', 'Sub', 'Mul', 'Div', 'Im2Col', 'MatMul', 'XnorPopcountMatMul', 'MaxPoolNHWC', 'Flatten', 'Reshape']);

/** Whether a decoded model uses QONNX custom ops. */
export function isQonnx(m: ModelProto): boolean {
  return (m.graph?.node ?? []).some((n) => QONNX_OPS.has(n.opType ?? '') && (n.domain ?? '').includes('custom_op'));
}

export function importQonnx(m: ModelProto, file: string, source: string, opts: ImportOptions): QuantizedModel {
  const g = m.graph!;
  const vals = new Map<string, V>();
  for (const t of g.initializer ?? []) vals.set(t.name ?? '', { t: 'const', v: readTensor(t, file) });
  const inputs = (g.input ?? []).filter((i) => !vals.has(i.name ?? ''));
  if (inputs.length !== 1) throw new InputError(`${file}: graph has ${inputs.length} non-constant inputs; lowbit imports a single-input chain`);
  const gin = inputs[0]!;
  const dims = (gin.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimValue !== undefined && d.dimValue !== null && num(d.dimValue) > 0 ? num(d.dimValue) : -1));
  const inputShape = [...(opts.inputShape ?? dims.slice(1))];
  if (inputShape.length === 0 || inputShape.some((d) => d < 1)) throw new InputError(`${file}: input ${gin.name} has shape [${dims}]; give the per-sample shape (inputShape option)`);
  vals.set(gin.name ?? '', { t: 'float', layout: { shape: [...inputShape], src: null } });

  const chain = new LayerChain(file, inputShape);
  const layers = chain.layers;
  const push = (l: Layer) => chain.push(l);
  // FINN's DataType annotations (qonnx_datatype.ts): of the graph input and of whole-number weights
  const datatypes = datatypeAnnotations(g);
  const inFormat = datatypeFormat(datatypes.get(gin.name ?? '') ?? '');
  /** {0, 1} tensors an XnorPopcountMatMul made bipolar: no other reader may take them as integers */
  const madeBipolar = new Set<ActQuant>();

  for (const node of g.node ?? []) {
    const op = node.opType ?? '';
    const where = `${file}: node ${node.name || '(unnamed)'} (${op})`;
    const fail = (why: string): never => {
      throw new InputError(`${where}: ${why}`);
    };
    const get = (i: number): V | undefined => {
      const n = node.input?.[i];
      if (n === undefined || n === '') return undefined;
      return vals.get(n) ?? fail(`input ${n} is not produced by an earlier node`);
    };
    const konst = (i: number, what: string): TensorValue => {
      const v = get(i);
      if (v?.t !== 'const') fail(`${what} (input ${i}) must be a constant initializer`);
      return (v as { v: TensorValue }).v;
    };
    const scalar = (i: number, what: string): number => {
      const t = konst(i, what);
      if (t.values.length !== 1) fail(`${what} must be one value (per tensor); got shape [${t.dims}]`);
      return t.values[0]!;
    };
    let x = get(0) ?? fail('missing input');
    const mapTranspose = op === 'Transpose' && x.t === 'float' && !x.layout.src && x.layout.shape.length === 3;
    if (x.t === 'float' && inFormat && layers.length === 0 && (!LAYOUT_OPS.has(op) || mapTranspose) && !['Quant', 'IntQuant', 'BipolarQuant'].includes(op)) {
      // an input annotated with an integer DataType read by a layer or transposed as a map (no quantizer of its own:
      // FINN streamlines the input quantizer away): a quantize layer of scale 1, round(x / 1) = x on the values the
      // DataType allows
      const q: ActQuant = { format: inFormat, scale: 1, zeroPoint: 0 };
      chain.startInput(x.layout, gin.name || 'input', q);
      x = { t: 'act', q };
    }
    const nhwc = (x.t === 'act' || x.t === 'aff') && !!x.nhwc;
    // the result of an op on an NHWC map stays NHWC unless the op says otherwise (nhwc set explicitly)
    const set = (v: V) => vals.set(node.output?.[0] ?? '', nhwc && (v.t === 'act' || v.t === 'aff') && v.nhwc === undefined ? { ...v, nhwc: true } : v);
    // a feature map in NHWC order: only elementwise / per-tensor ops, channels-last thresholds, FINN's NHWC ops
    if (nhwc && !NHWC_OPS.has(op)) {
      fail(`input is an NHWC feature map (after a Transpose); lowbit reads it only in ${[...NHWC_OPS].join(', ')} (Transpose back to NCHW with perm [${TO_NCHW}] first)`);
    }
    if (!nhwc && (op === 'Im2Col' || op === 'MaxPoolNHWC')) fail(`${op} reads an NHWC feature map; its input is not one (Transpose a quantized NCHW map with perm [${TO_NHWC}] first)`);
    if ((x.t === 'act' || x.t === 'aff') && op === 'Transpose' && (x.t === 'aff' ? shapeAfterMac(x.m) : chain.shape).length === 3) {
      // NCHW <-> NHWC of a feature map: tracked, lowbit keeps the data NCHW
      const perm = (attrInts(node, 'perm') ?? []).join();
      if (perm === (x.nhwc ? TO_NCHW : TO_NHWC)) {
        set({ ...x, nhwc: !x.nhwc });
        continue;
      }
      fail(`Transpose perm [${perm}] of a feature map: only NCHW -> NHWC ([${TO_NHWC}]) and back ([${TO_NCHW}]) are representable`);
    }

    switch (op) {
      case 'Identity':
        set(x);
        break;
      case 'Constant': {
        const t = node.attribute?.find((a) => a.name === 'value')?.t ?? fail('only a tensor-valued Constant is supported');
        set({ t: 'const', v: readTensor(t, where) });
        break;
      }
      case 'Quant':
      case 'IntQuant':
      case 'BipolarQuant': {
        const bip = op === 'BipolarQuant';
        const sc = konst(1, 'scale');
        if (sc.values.some((s) => !(s > 0) || !Number.isFinite(s))) fail('scale must be positive and finite');
        const zpT = bip ? null : konst(2, 'zero point');
        const bits = bip ? 1 : scalar(3, 'bit width');
        if (!Number.isInteger(bits) || bits < 1 || bits > 16) fail(`bit width ${bits}; lowbit imports integer widths 1..16`);
        const signed = bip || attrInt(node, 'signed', 1) === 1;
        const narrow = !bip && attrInt(node, 'narrow', 0) === 1;
        const rounding = parseRounding(String(attr(node, 'rounding_mode') ?? 'ROUND'), where);
        const binary = bits === 1 && signed;
        if (x.t === 'const') {
          set(foldWeights(x.v, sc, zpT, bits, signed, narrow, rounding, binary, where));
          break;
        }
        if (sc.values.length !== 1 || (zpT && zpT.values.length !== 1)) fail('per-channel activation quantization is not supported (one scale and zero point)');
        const s = sc.values[0]!;
        const z = zpT ? zpT.values[0]! : 0;
        if (!Number.isInteger(z)) fail(`zero point ${z} is not an integer`);
        const range = binary ? { min: -1, max: 1 } : quantIntRange(bits, signed, narrow);
        const format: TensorFormat = binary ? { type: 'binary' } : { type: 'int', bits, signed };
        if (binary && z !== 0) fail('a 1-bit signed (bipolar) Quant needs zero point 0');
        const q: ActQuant = { format, scale: Math.fround(s), zeroPoint: z };
        const p: QuantParams = { scale: s, zeroPoint: z, bits, signed, narrow, rounding };
        if (x.t === 'float') {
          if (layers.length > 0) fail('a float tensor between quantized layers cannot be quantized exactly (lowbit has no float ops there)');
          if (!binary && rounding !== 'ROUND') fail(`the input quantizer rounds half to even (ONNX QuantizeLinear); rounding_mode ${rounding} is not representable`);
          if (!binary && z !== 0) fail('an input Quant with a non-zero zero point rounds (x / s + z) as a whole; only zero point 0 is exact');
          chain.startInput(x.layout, node.name || 'input', q);
          const full = formatRange(format);
          if (range.min !== full.min || range.max !== full.max) push({ kind: 'clamp', name: `${node.name || 'input'}_narrow`, min: range.min, max: range.max });
          set({ t: 'act', q });
        } else if (x.t === 'aff') {
          set(finishThreshold(x.m, q, binary, range, (v) => (binary ? (Math.fround(v) >= 0 ? 1 : -1) : quantInt(v, p)), where));
        } else if (x.t === 'act') {
          const same = x.q.scale === q.scale && x.q.zeroPoint === q.zeroPoint;
          const r = formatRange(x.q.format);
          if (!same || r.min < range.min || r.max > range.max) fail('re-quantizing a quantized tensor to other parameters has no layer (only an identical Quant is folded)');
          set(x);
        } else fail(`Quant of a ${x.t} tensor`);
        break;
      }
      case 'Trunc': {
        if (x.t !== 'aff') fail('Trunc is supported on the output of a MatMul/Gemm/Conv (before any other quantizer)');
        const s = scalar(1, 'scale');
        const z = scalar(2, 'zero point');
        const rmode = parseRounding(String(attr(node, 'rounding_mode') ?? 'FLOOR'), where);
        if (!Number.isInteger(z)) fail(`zero point ${z} is not an integer`);
        if ((node.input ?? []).length === 5) {
          // opset 1: x, scale, zeropt, in_bitwidth, out_bitwidth; output (q - zeropt) * scale, no clamp
          const p1 = { scale: s, zeroPoint: z, inBits: scalar(3, 'input bit width'), outBits: scalar(4, 'output bit width'), rounding: rmode };
          const mac = (x as { m: Mac }).m;
          const lv = (v: number) => qonnxRound(qonnxRound(v / s + z, 'ROUND') / 2 ** (p1.inBits - p1.outBits), rmode);
          // the levels reachable from the accumulator range (the function is nondecreasing)
          const bound = accumulatorBound(mac.layer);
          const reach = bound.flatMap((b, o) => [-b, b].map((acc) => lv(Math.max(mac.relu ? 0 : -Infinity, mac.a[o]! * acc + mac.b[o]!))));
          const range = { min: Math.min(...reach), max: Math.max(...reach) };
          const q: ActQuant = { format: smallestIntFormat(Math.min(range.min, z), Math.max(range.max, z)), scale: Math.fround(s), zeroPoint: z };
          set(finishThreshold(mac, q, false, range, (v) => lv(v), where));
          break;
        }
        // opset 2: x, scale, zeropt, in_bitwidth, out_scale, out_bitwidth
        const outScale = scalar(4, 'output scale');
        const outBits = scalar(5, 'output bit width');
        const signed = attrInt(node, 'signed', 1) === 1;
        const narrow = attrInt(node, 'narrow', 0) === 1;
        const tp = { scale: s, zeroPoint: z, outScale, outBits, signed, narrow, rounding: rmode };
        const zOut = z / truncStep(tp);
        if (!Number.isInteger(zOut)) fail(`output zero point ${zOut} (zero point / step) is not an integer`);
        const range = quantIntRange(outBits, signed, narrow);
        const q: ActQuant = { format: { type: 'int', bits: outBits, signed }, scale: Math.fround(outScale), zeroPoint: zOut };
        set(finishThreshold((x as { m: Mac }).m, q, false, range, (v) => truncIntOf(v, tp), where));
        break;
      }
      case 'MultiThreshold': {
        if (x.t !== 'aff') fail('MultiThreshold is supported on the output of a MatMul/Gemm/Conv (integer activations have no lookup layer)');
        const T = konst(1, 'thresholds');
        const layout = String(attr(node, 'data_layout') ?? 'NCHW');
        const outScale = (attr(node, 'out_scale') as number | undefined) ?? 1;
        const outBias = (attr(node, 'out_bias') as number | undefined) ?? 0;
        const [C, S] = T.dims.length === 2 ? [T.dims[0]!, T.dims[1]!] : fail(`thresholds of shape [${T.dims}]; expected [channels, steps]`);
        const mac = (x as { m: Mac }).m;
        const O = outChannels(mac.layer);
        if (C !== 1 && C !== O) fail(`${C} threshold channels for ${O} output channels`);
        // qonnx: the channel axis is the last one for a data_layout ending in C, else axis 1 (the same for 2-D data);
        // per-channel thresholds must meet the feature map in the order it is in
        const channelsLast = layout.endsWith('C');
        const isMap = shapeAfterMac(mac).length === 3;
        if (C !== 1 && isMap && channelsLast !== nhwc) {
          fail(`data_layout ${layout} on a feature map in ${nhwc ? 'NHWC' : 'NCHW'} order: per-channel thresholds would apply along the ${nhwc ? 'height' : 'width'} axis (Transpose the conv output with perm [${TO_NHWC}] before an NHWC MultiThreshold)`);
        }
        if (!(outScale > 0)) fail(`out_scale ${outScale} must be positive`);
        const bip = S === 1 && outScale === 2 && outBias === -1;
        const offset = bip ? 0 : outBias / outScale;
        if (!Number.isInteger(offset)) fail(`out_bias / out_scale = ${offset} is not an integer: the output levels are not outScale * (count + integer)`);
        const format: TensorFormat = bip ? { type: 'binary' } : smallestIntFormat(offset, offset + S);
        const q: ActQuant = { format, scale: bip ? 1 : Math.fround(outScale), zeroPoint: 0 };
        const range = bip ? { min: -1, max: 1 } : { min: offset, max: offset + S };
        const out = finishThreshold(mac, q, bip, range, (v, o) => {
          let n = 0;
          for (let t = 0; t < S; t++) if (Math.fround(v) >= Math.fround(T.values[(C === 1 ? 0 : o) * S + t]!)) n++;
          return bip ? 2 * n - 1 : n + offset;
        }, where);
        set(nhwc && out.t === 'act' ? { ...out, nhwc: true } : out);
        break;
      }
      case 'Sign': {
        if (x.t !== 'aff') fail('Sign is supported on the output of a MatMul/Gemm/Conv');
        const q: ActQuant = { format: { type: 'int', bits: 2, signed: true }, scale: 1, zeroPoint: 0 };
        set(finishThreshold((x as { m: Mac }).m, q, false, { min: -1, max: 1 }, (v) => Math.sign(v), where));
        break;
      }
      case 'MatMul':
      case 'Gemm':
      case 'Conv': {
        if (x.t !== 'act' && !(x.t === 'patches' && op === 'MatMul')) fail(`input is ${x.t === 'float' ? 'a float tensor' : `a ${x.t} value`}; a ${op} needs a quantized input (Quant / BipolarQuant / MultiThreshold before it)`);
        let w = get(1);
        if (w?.t === 'const') {
          // integer-valued float weights (FINN's FoldQuantWeights): scale 1, zero point 0
          const v = w.v;
          const format = integerWeightFormat(v, datatypes.get(node.input?.[1] ?? ''), where);
          w = { t: 'w', v, q: v.values.slice(), scale: v.values.map(() => 1), zp: v.values.map(() => 0), format, axisScale: [] };
        }
        if (w?.t !== 'w') fail('weights (input 1) must be a Quant / BipolarQuant of a constant, or whole numbers');
        if (madeBipolar.has((x as { q: ActQuant }).q)) fail('its input is {0, 1} data an XnorPopcountMatMul also reads (lowbit holds it as bipolar)');
        // FINN's lowered conv: a MatMul of Im2Col patches, or of an NHWC map (a 1x1 conv: no Im2Col)
        const lowered = x.t === 'patches' ? x.g : nhwc ? POINTWISE : undefined;
        const mac = macOf(node, op, (x as { q: ActQuant }).q, w as Extract<V, { t: 'w' }>, chain.shape, where, lowered);
        if (chain.inputSrc) {
          const l = mac.layer;
          if (l.kind !== 'dense') fail('a Transpose of the float input can be folded only into a first dense layer');
          else l.weight.data = permuteColumns(l.weight.data, l.inFeatures, chain.inputSrc);
          chain.inputSrc = null;
        }
        const bias = get(2);
        if (bias) addConst(mac, bias, op === 'Conv' ? 0 : -1, 'add', where);
        set({ t: 'aff', m: mac, nhwc: !!lowered });
        break;
      }
      case 'XnorPopcountMatMul': {
        if (x.t !== 'act' && x.t !== 'patches') fail('XnorPopcountMatMul needs {0, 1} data from a MultiThreshold');
        const q = (x as { q: ActQuant }).q;
        // {0, 1} padding is bipolar -1; lowbit's binary conv pads with 0 (no term)
        if (x.t === 'patches' && x.g.padding.some((p) => p !== 0)) fail(`Im2Col pads {0, 1} data with 0, a bipolar -1; lowbit's binary conv2d pads with no term (only unpadded XNOR convolutions are representable)`);
        const wc = get(1);
        if (wc?.t !== 'const') fail('weights (input 1) must be a {0, 1} initializer');
        const v = (wc as { v: TensorValue }).v;
        const wq = bipolarWeights(v, where);
        bipolarFromBinary(layers, q, where);
        madeBipolar.add(q);
        const w: Extract<V, { t: 'w' }> = { t: 'w', v, q: wq, scale: wq.map(() => 1), zp: wq.map(() => 0), format: { type: 'binary' }, axisScale: [] };
        const lowered = x.t === 'patches' ? x.g : nhwc ? POINTWISE : undefined;
        const mac = macOf(node, 'MatMul', q, w, chain.shape, where, lowered);
        // P = (acc + K) / 2 with acc the bipolar dot product over K = the weight rows
        const K = v.dims[0]!;
        mac.a = mac.a.map((a) => a / 2);
        mac.b = mac.b.map((b) => b + K / 2);
        set({ t: 'aff', m: mac, nhwc: !!lowered });
        break;
      }
      case 'Im2Col':
        if (x.t !== 'act') fail('Im2Col needs a quantized NHWC map (after a Quant / MultiThreshold and a Transpose)');
        set({ t: 'patches', q: (x as { q: ActQuant }).q, g: im2colGeometry(node, chain.shape, where) });
        break;
      case 'MaxPoolNHWC':
        if (x.t !== 'act') fail('MaxPoolNHWC needs a quantized input (after the quantizer)');
        push(maxPoolNhwcLayer(node, where));
        set(x);
        break;
      case 'Add':
      case 'Sub':
      case 'Mul':
      case 'Div': {
        if (x.t !== 'aff') fail(`${op} of a ${x.t === 'act' ? 'quantized' : x.t} tensor: only constant ${op}s after a MatMul/Gemm/Conv (before its quantizer) are folded`);
        const mac = (x as { m: Mac }).m;
        if (mac.relu) fail(`${op} after Relu is not folded (the quantizer must follow the Relu)`);
        addConst(mac, get(1), mac.layer.kind === 'conv2d' && !nhwc ? 1 : -1, op.toLowerCase() as 'add', where);
        set(x);
        break;
      }
      case 'BatchNormalization': {
        if (x.t !== 'aff') fail('BatchNormalization is folded only after a MatMul/Gemm/Conv (before its quantizer)');
        const mac = (x as { m: Mac }).m;
        if (mac.relu) fail('BatchNormalization after Relu is not folded');
        const [gm, be, mu, va] = [1, 2, 3, 4].map((i) => konst(i, ['scale', 'B', 'mean', 'var'][i - 1]!).values);
        const eps = (attr(node, 'epsilon') as number | undefined) ?? 1e-5;
        const O = outChannels(mac.layer);
        if (gm!.length !== O) fail(`${gm!.length} channels for ${O} outputs`);
        for (let o = 0; o < O; o++) {
          const k = gm![o]! / Math.sqrt(va![o]! + eps);
          mac.a[o] *= k;
          mac.b[o] = (mac.b[o]! - mu![o]!) * k + be![o]!;
        }
        set(x);
        break;
      }
      case 'Relu': {
        if (x.t === 'aff') {
          (x as { m: Mac }).m.relu = true;
          set(x);
        } else if (x.t === 'act') {
          const q = (x as { q: ActQuant }).q;
          push({ kind: 'clamp', name: node.name || 'relu', min: Math.max(q.zeroPoint, formatRange(q.format).min), max: formatRange(q.format).max });
          set(x);
        } else fail(`Relu of a ${x.t} tensor`);
        break;
      }
      case 'MaxPool': {
        if (x.t !== 'act') fail('MaxPool needs a quantized input (after the quantizer)');
        if (chain.inputSrc) fail('a Transpose of the float input can be folded only into a first dense layer');
        if (attrInt(node, 'ceil_mode', 0) !== 0) fail('ceil_mode 1 is not supported');
        const k = attrInts(node, 'kernel_shape') ?? fail('missing kernel_shape');
        const s = attrInts(node, 'strides') ?? k;
        const p = attrInts(node, 'pads') ?? [0, 0, 0, 0];
        push({ kind: 'maxpool2d', name: node.name || 'maxpool', kernel: [k[0]!, k[1]!], stride: [s[0]!, s[1]!], padding: [p[0]!, p[1]!, p[2]!, p[3]!] });
        set(x);
        break;
      }
      case 'TopK': {
        // FINN's InsertTopK: TopK(logits, k) along the last axis, its indices the graph output, its values unread
        const k = konst(1, 'k').values;
        if (k.length !== 1 || k[0] !== 1) fail(`k = ${k.join(',')}: lowbit imports TopK with k = 1 only, the argmax of the logits (FINN: InsertTopK(k=1))`);
        if (attrInt(node, 'largest', 1) !== 1) fail('largest 0 selects the smallest logit; lowbit imports TopK only as the argmax (largest 1)');
        if (x.t !== 'aff' && x.t !== 'act') fail('TopK reads the logits: the output of a MatMul / Gemm (after its scale and bias) or a quantized tensor');
        const rank = x.t === 'aff' ? shapeAfterMac(x.m).length : chain.shape.length;
        const axis = attrInt(node, 'axis', -1);
        if (rank !== 1 || (axis !== -1 && axis !== 1)) fail(`TopK along axis ${axis} of a [N, ${x.t === 'aff' ? shapeAfterMac(x.m).join(', ') : chain.shape.join(', ')}] tensor; lowbit imports it over the features of [N, C] logits`);
        const [values, indices] = [node.output?.[0] ?? '', node.output?.[1] ?? ''];
        if ((g.node ?? []).some((n) => n.input?.includes(values)) || (g.output ?? []).some((o) => o.name === values)) fail('its values output is used; lowbit imports TopK only as the argmax, whose indices are the graph output');
        vals.set(indices, { t: 'argmax', of: x });
        break;
      }
      default: {
        if (!LAYOUT_OPS.has(op)) fail(`op ${node.domain ? node.domain + '.' : ''}${op} is not supported by lowbit's QONNX import (see docs/qonnx.md)`);
        const cAt = (i: number) => (get(i)?.t === 'const' ? (get(i) as { v: TensorValue }).v.values : undefined);
        if (x.t === 'float') set({ t: 'float', layout: applyLayout(node, op, x.layout, cAt, where) });
        else if (x.t === 'act') {
          // NHWC and NCHW flatten to the same order only when H = W = 1 (FINN's AbsorbTransposeIntoFlatten)
          if (nhwc && chain.shape.slice(1).some((d) => d !== 1)) fail(`${op} of an NHWC map of shape [${chain.shape}] (CHW) orders the features (h, w, c), not lowbit's (c, h, w); Transpose back with perm [${TO_NCHW}] before it`);
          const lay = applyLayout(node, op, { shape: chain.shape, src: null }, cAt, where);
          if (lay.src || (lay.shape.length > 1 && lay.shape.join() !== chain.shape.join())) fail(`${op} of a quantized tensor from [${chain.shape}] to [${lay.shape}]: only flattening is representable`);
          if (lay.shape.length === 1 && chain.shape.length > 1) push({ kind: 'flatten', name: node.name || 'flatten' });
          set(nhwc ? { ...x, nhwc: false } : x);
        } else if ((x.t === 'const' || x.t === 'w') && (op === 'Transpose' || op === 'Identity')) {
          // weights exported as W^T (Brevitas: Quant(W) -> Transpose -> MatMul): transpose the values
          const d = x.v.dims;
          const perm = op === 'Identity' ? d.map((_, i) => i) : (attrInts(node, 'perm') ?? d.map((_, i) => d.length - 1 - i));
          const tp = (a: number[]) => transposeValues(a, d, perm);
          const v: TensorValue = { dataType: x.v.dataType, dims: perm.map((a) => d[a]!), values: tp(x.v.values) };
          set(x.t === 'const' ? { t: 'const', v } : { ...x, v, q: tp(x.q), scale: tp(x.scale), zp: tp(x.zp) });
        } else fail(`${op} of a ${x.t === 'w' ? 'weight' : x.t} value: only Transpose of weights is folded`);
      }
    }
  }

  /** Turns the tracked affine output into a threshold stage producing the integers of `fn`. */
  function finishThreshold(mac: Mac, q: ActQuant, bipolar: boolean, range: { min: number; max: number }, fn: (v: number, o: number) => number, where: string): V {
    const O = outChannels(mac.layer);
    const level: LevelFn = (acc, o) => {
      let v = mac.a[o]! * acc + mac.b[o]!;
      if (mac.relu && v < 0) v = 0;
      return fn(v, o);
    };
    for (let o = 0; o < O; o++) if (!(mac.a[o]! > 0)) throw new InputError(`${where}: output channel ${o} has scale ${mac.a[o]} (not positive): the quantizer is not a nondecreasing function of the accumulator`);
    const lo = bipolar ? -1 : range.min;
    const steps = bipolar ? 1 : range.max - range.min;
    const th = monotoneThresholds(perChannel(level), accumulatorBound(mac.layer), bipolar ? [1] : Array.from({ length: steps }, (_, k) => range.min + k + 1), where);
    const shared = th.every((v, i) => v === th[i % steps]!);
    mac.layer.output = {
      kind: 'threshold', thresholds: shared ? th.slice(0, steps) : th, channels: shared ? 1 : O, steps, offset: bipolar ? 0 : lo, bipolar, output: q,
    };
    push(mac.layer);
    return { t: 'act', q };
  }

  const outs = g.output ?? [];
  if (outs.length !== 1) throw new InputError(`${file}: graph has ${outs.length} outputs; lowbit imports a single-output chain`);
  const out = vals.get(outs[0]!.name ?? '') ?? (() => { throw new InputError(`${file}: output ${outs[0]!.name} is not produced by any node`); })();
  // TopK k = 1: the model outputs the logits it ranks; their argmax is its index when every logit is the same
  // increasing function of lowbit's integer output (one positive scale a, y = a * (acc + bias) or a * (q - zp))
  const last = out.t === 'argmax' ? out.of : out;
  if (out.t === 'argmax' && last.t === 'aff' && !last.m.a.every((a) => a > 0 && a === last.m.a[0])) {
    throw new InputError(`${file}: TopK of logits with per-channel scales (${[...new Set(last.m.a)].slice(0, 4).join(', ')}, ...): the argmax of lowbit's integer logits would differ from TopK's; FINN's InsertTopK expects one scale`);
  }
  if (last.t === 'aff') finishAccumulator(last.m, `${file}: output ${outs[0]!.name}`);
  else if (last.t !== 'act') throw new InputError(`${file}: the output is not a quantized tensor or the output of a MatMul/Gemm/Conv`);
  if (last.t === 'act' && madeBipolar.has(last.q)) throw new InputError(`${file}: the output is {0, 1} data an XnorPopcountMatMul also reads (lowbit holds it as bipolar)`);
  if (last.nhwc) throw new InputError(`${file}: the output is an NHWC feature map; lowbit writes NCHW (end the graph with a Transpose perm [${TO_NCHW}])`);

  function finishAccumulator(mac: Mac, where: string) {
    if (mac.relu) throw new InputError(`${where}: a Relu on the int32 output has no quantizer after it; lowbit's accumulator output cannot apply it`);
    const l = mac.layer;
    const O = outChannels(l);
    const bias = new Int32Array(O);
    for (let o = 0; o < O; o++) {
      // b is a float32 constant: a whole number of steps k is stored as float32(k * a), within 2^-24 |k| of k
      const k = mac.b[o]! / mac.a[o]!;
      const r = Math.round(k);
      if (Math.abs(k - r) > 2 ** -23 * Math.max(1, Math.abs(k)) || Math.abs(r) > 2 ** 31 - 1) throw new InputError(`${where}: channel ${o}: bias / scale = ${k} is not a whole number of accumulator steps; the float output is not representable as int32 logits`);
      bias[o] = r;
    }
    if (bias.some((v) => v !== 0)) l.bias = bias;
    l.weight.scale = mac.a.map((a) => a / l.input.scale);
    l.output = { kind: 'accumulator' };
    push(l);
  }

  const model: QuantizedModel = {
    schemaVersion: SCHEMA_VERSION,
    name: opts.name ?? (g.name || 'qonnx-model'),
    inputShape,
    layers,
    provenance: {
      tool: 'lowbit qonnx-import',
      date: opts.date ?? new Date().toISOString(),
      source,
      accuracy: [],
      notes: `producer ${m.producerName ?? ''} ${m.producerVersion ?? ''}, opset ${(m.opsetImport ?? []).map((o) => `${o.domain || 'ai.onnx'}:${num(o.version)}`).join(' ')}${out.t === 'argmax' ? `; ${TOPK_NOTE}` : ''}`,
    },
  };
  validateModel(model, file);
  return model;
}

/** What the provenance of a model imported from a graph ending in TopK k = 1 says. */
export const TOPK_NOTE = 'the graph ends in TopK k=1 (FINN InsertTopK): the model outputs the logits it ranks; their argmax (first on ties, as TopK) is its index';

function outChannels(l: DenseLayer | Conv2dLayer): number {
  return l.kind === 'dense' ? l.outFeatures : l.outChannels;
}

function shapeAfterMac(m: Mac): number[] {
  return m.layer.kind === 'dense' ? [m.layer.outFeatures] : [m.layer.outChannels, 0, 0];
}

function truncIntOf(v: number, p: { scale: number; zeroPoint: number; outScale: number; outBits: number; signed: boolean; narrow: boolean; rounding: QuantParams['rounding'] }): number {
  // Trunc on the exact real value (qonnx_ops.truncInt applies float32 to its input first; here v is exact)
  const y = qonnxRound(v / p.scale + p.zeroPoint, 'ROUND');
  const t = y / truncStep(p);
  const { min, max } = quantIntRange(p.outBits, p.signed, p.narrow);
  return qonnxRound(t > max ? max : t < min ? min : t, p.rounding);
}

/** Quant / BipolarQuant of constant weights -> integers (row-major as the tensor) with their scales. */
function foldWeights(v: TensorValue, sc: TensorValue, zpT: TensorValue | null, bits: number, signed: boolean, narrow: boolean, rounding: QuantParams['rounding'], binary: boolean, where: string): V {
  // the output-channel axis is decided by the consumer (Gemm transB, MatMul, Conv); keep per-element params
  const n = v.values.length;
  const at = (t: TensorValue, i: number): number => {
    if (t.values.length === 1) return t.values[0]!;
    // numpy broadcasting of t against v's dims
    const vd = v.dims;
    const td = [...new Array<number>(Math.max(0, vd.length - t.dims.length)).fill(1), ...t.dims];
    let idx = 0;
    let rem = i;
    const coords = new Array<number>(vd.length);
    for (let k = vd.length - 1; k >= 0; k--) {
      coords[k] = rem % vd[k]!;
      rem = Math.floor(rem / vd[k]!);
    }
    for (let k = 0; k < vd.length; k++) idx = idx * td[k]! + (td[k] === 1 ? 0 : coords[k]!);
    return t.values[idx]!;
  };
  const q = new Array<number>(n);
  const scale = new Array<number>(n);
  const zp = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const s = at(sc, i);
    const z = zpT ? at(zpT, i) : 0;
    if (!Number.isInteger(z)) throw new InputError(`${where}: weight zero point ${z} is not an integer`);
    q[i] = binary ? (Math.fround(Math.fround(v.values[i]!) / Math.fround(s)) + z >= 0 ? 1 : -1) : quantInt(v.values[i]!, { scale: s, zeroPoint: z, bits, signed, narrow, rounding });
    scale[i] = s;
    zp[i] = z;
  }
  const format: TensorFormat = binary ? { type: 'binary' } : { type: 'int', bits, signed };
  return { t: 'w', v, q, scale, zp, format, axisScale: sc.dims };
}

/** A 1x1 convolution: FINN lowers it to a MatMul of the NHWC map itself (no Im2Col). */
const POINTWISE: ConvGeometry = { kernel: [1, 1], stride: [1, 1], padding: [0, 0, 0, 0] };

/** Dense / conv layer from a MatMul / Gemm / Conv node with folded weights (`lowered`: a MatMul of Im2Col patches). */
function macOf(node: NodeProto, op: string, inQ: ActQuant, w: Extract<V, { t: 'w' }>, shape: number[], where: string, lowered?: ConvGeometry): Mac {
  const dims = w.v.dims;
  const pick = (arr: number[], O: number, idx: (o: number) => number, what: string): number[] => {
    const vals = Array.from({ length: O }, (_, o) => arr[idx(o)]!);
    // constant along the other axes
    for (let i = 0; i < arr.length; i++) {
      const o = chanOf(i);
      if (arr[i] !== vals[o]) throw new InputError(`${where}: weight ${what} varies within output channel ${o}; allowed per tensor or per output channel`);
    }
    return vals.every((v) => v === vals[0]) ? [vals[0]!] : vals;
  };
  let chanOf: (i: number) => number;
  if (op === 'Conv' || lowered) {
    // OIHW weights (per element: integers, scale, zero point) and the geometry
    let [O, C, kh, kw] = dims as [number, number, number, number];
    let { q, scale: sc, zp: zpAll } = w;
    let g: ConvGeometry;
    if (lowered) {
      [C, kh, kw] = [shape[0]!, ...lowered.kernel];
      if (dims.length !== 2 || dims[0] !== kh * kw * C) throw new InputError(`${where}: weights of shape [${dims}]; a MatMul of ${kh}x${kw} patches of ${C} channels needs [${kh * kw * C}, O]`);
      O = dims[1]!;
      [q, sc, zpAll] = [q, sc, zpAll].map((a) => patchMatrixToOihw(a, O, C, kh, kw));
      g = lowered;
    } else {
      if (dims.length !== 4) throw new InputError(`${where}: weights of shape [${dims}]; allowed [O, C, kh, kw]`);
      if (attrInt(node, 'group', 1) !== 1) throw new InputError(`${where}: grouped convolution is not supported`);
      if ((attrInts(node, 'dilations') ?? [1, 1]).some((d) => d !== 1)) throw new InputError(`${where}: dilations other than 1 are not supported`);
      const s = attrInts(node, 'strides') ?? [1, 1];
      const p = attrInts(node, 'pads') ?? [0, 0, 0, 0];
      g = { kernel: [kh, kw], stride: [s[0]!, s[1]!], padding: [p[0]!, p[1]!, p[2]!, p[3]!] };
    }
    const per = C * kh * kw;
    chanOf = (i) => Math.floor(i / per);
    const scale = pick(sc, O, (o) => o * per, 'scale');
    const zp = pick(zpAll, O, (o) => o * per, 'zero point');
    const layer: Conv2dLayer = {
      kind: 'conv2d', name: node.name || 'conv', inChannels: C, outChannels: O, ...g,
      input: inQ, weight: { format: w.format, data: Int32Array.from(q), zeroPoint: zp, scale }, bias: null, output: { kind: 'accumulator' },
    };
    return { layer, a: chans(O, (o) => inQ.scale * scale[scale.length === 1 ? 0 : o]!), b: new Array<number>(O).fill(0), relu: false };
  }
  if (dims.length !== 2) throw new InputError(`${where}: weights of shape [${dims}]; allowed a matrix`);
  if (shape.length !== 1) throw new InputError(`${where}: ${op} on a tensor of shape [${shape}]; flatten it first`);
  if (op === 'Gemm' && (attrInt(node, 'transA', 0) !== 0 || ((attr(node, 'alpha') as number | undefined) ?? 1) !== 1)) throw new InputError(`${where}: transA and alpha must be 0 and 1`);
  const tr = op === 'MatMul' || attrInt(node, 'transB', 0) === 0; // B is [K, N]
  const [K, N] = tr ? [dims[0]!, dims[1]!] : [dims[1]!, dims[0]!];
  chanOf = tr ? (i) => i % N : (i) => Math.floor(i / K);
  const scale = pick(w.scale, N, (o) => (tr ? o : o * K), 'scale');
  const zp = pick(w.zp, N, (o) => (tr ? o : o * K), 'zero point');
  const data = new Int32Array(N * K);
  for (let o = 0; o < N; o++) for (let k = 0; k < K; k++) data[o * K + k] = w.q[tr ? k * N + o : o * K + k]!;
  const layer: DenseLayer = { kind: 'dense', name: node.name || 'dense', inFeatures: K, outFeatures: N, input: inQ, weight: { format: w.format, data, zeroPoint: zp, scale }, bias: null, output: { kind: 'accumulator' } };
  return { layer, a: chans(N, (o) => inQ.scale * scale[scale.length === 1 ? 0 : o]!), b: new Array<number>(N).fill(0), relu: false };
}

/** Row-major values of a tensor of `dims` transposed by `perm` (ONNX Transpose). */
function transposeValues(a: number[], dims: number[], perm: number[]): number[] {
  const od = perm.map((p) => dims[p]!);
  const stride = dims.map((_, i) => dims.slice(i + 1).reduce((x, y) => x * y, 1));
  const out = new Array<number>(a.length);
  const idx = new Array<number>(od.length).fill(0);
  for (let k = 0; k < a.length; k++) {
    let s = 0;
    for (let j = 0; j < od.length; j++) s += idx[j]! * stride[perm[j]!]!;
    out[k] = a[s]!;
    for (let j = od.length - 1; j >= 0; j--) {
      if (++idx[j]! < od[j]!) break;
      idx[j] = 0;
    }
  }
  return out;
}

function chans(n: number, f: (o: number) => number): number[] {
  return Array.from({ length: n }, (_, o) => f(o));
}

/** y <- y (+|-|*|/) c for a constant c broadcast over the output channels (axis: 0 for a Conv bias, 1 for NCHW, -1 last: dense, NHWC). */
function addConst(mac: Mac, cv: V | undefined, axis: number, op: 'add' | 'sub' | 'mul' | 'div', where: string) {
  if (cv?.t !== 'const') throw new InputError(`${where}: the other operand must be a constant`);
  const O = outChannels(mac.layer);
  const t = cv.v;
  let c: number[];
  if (t.values.length === 1) c = new Array<number>(O).fill(t.values[0]!);
  else {
    // one value per channel: [O], [1, O] (dense, NHWC: [1, 1, 1, O]), [O] (Conv bias), [O, 1, 1], [1, O, 1, 1] (NCHW)
    const nonUnit = t.dims.filter((d) => d !== 1);
    if (nonUnit.length !== 1 || nonUnit[0] !== O) throw new InputError(`${where}: constant of shape [${t.dims}]; allowed one value or one per output channel (${O})`);
    const pos = t.dims.indexOf(O);
    const rank = t.dims.length;
    const ok = axis === -1 ? pos === rank - 1 : axis === 0 ? rank === 1 : rank >= 3 ? pos === rank - 3 : false;
    if (!ok) throw new InputError(`${where}: constant of shape [${t.dims}] is not along the output channels`);
    c = t.values.slice();
  }
  for (let o = 0; o < O; o++) {
    const k = c[o]!;
    if (op === 'add') mac.b[o]! += k;
    else if (op === 'sub') mac.b[o]! -= k;
    else if (op === 'mul') {
      mac.a[o]! *= k;
      mac.b[o]! *= k;
    } else {
      if (k === 0) throw new InputError(`${where}: division by zero`);
      mac.a[o]! /= k;
      mac.b[o]! /= k;
    }
  }
}

