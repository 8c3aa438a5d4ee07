import { readInputFile } from '../../util/fsafe.js';
import { roundHalfEven } from '../../arith/index.js';
import { InputError } from '../../util/errors.js';
import { intFormat } from '../../arith/format.js';
import { formatRange, SCHEMA_VERSION, type ActQuant, type AddOperand, type Layer, type QuantizedModel, type TensorFormat } from '../types.js';
import { validateModel } from '../validate.js';
import { LayerChain } from './import_chain.js';
import { applyLayout, LAYOUT_OPS, permuteColumns } from './import_layout.js';
import { importQonnx, isQonnx } from './qonnx_import.js';
import { readBinaryQuantize, readThresholdStage, type GraphView } from './import_threshold.js';
import { finishStage, macLayer, quantOf, type ImportOptions, type Pending, type Val } from './import_ops.js';
import { attrInt, attrInts, decodeModel, DT, num, readTensor, type NodeProto } from './proto.js';
import { docPath } from '../../util/package.js';

/**
 * Imports a quantized ONNX model (QDQ or QOperator form) into a QuantizedModel. The graph must be one chain
 * from one input to one output. Supported:
 *   QuantizeLinear, DequantizeLinear (per tensor; per axis for weights), MatMulInteger, ConvInteger,
 *   QLinearMatMul, QLinearConv, com.microsoft QGemm, MatMul / Gemm / Conv between DequantizeLinear and
 *   QuantizeLinear (QDQ), Add of a bias, Add of two DequantizeLinear outputs then QuantizeLinear (QDQ residual,
 *   which ORT fuses into QLinearAdd: an `add` layer), GlobalAveragePool between DequantizeLinear and QuantizeLinear
 *   (QDQ, which ORT fuses into QLinearGlobalAveragePool), com.microsoft QLinearAdd / QLinearGlobalAveragePool, Relu (fused as a clamp at the zero point), Cast + Mul of an int32
 *   accumulator, MaxPool, the integer threshold and binary-quantize ops `exportOnnx` writes (exactly that
 *   pattern: import_threshold.ts), and the layout ops (import_layout.ts): float Flatten / Reshape / Squeeze / Unsqueeze /
 *   Transpose / Identity before the first QuantizeLinear fold into the input handling, flattening and (at the
 *   output) order-keeping reshapes of quantized tensors.
 * Any other op -> InputError naming the node and the op.
 * Scaling of each requantize stage: `opts.scaling` 'multiplier' (default: TFLite fixed point from
 * quantizeMultiplier(inScale * wScale / outScale), `opts.variant` double|single) or 'onnx' (ORT's float32
 * scale). The `onnxruntime` requant mode of integerInference reproduces ORT from the float scales either way.
 */
export function importOnnx(source: string | Uint8Array, opts: ImportOptions = {}): QuantizedModel {
  const file = typeof source === 'string' ? source : (opts.name ?? 'model.onnx');
  const bytes = typeof source === 'string' ? readInputFile(source, 'ONNX model') : source;
  const m = decodeModel(bytes, file);
  const g = m.graph;
  if (!g) throw new InputError(`${file}: no graph`);
  if (isQonnx(m)) return importQonnx(m, file, typeof source === 'string' ? source : file, opts);
  const vals = new Map<string, Val>();
  for (const t of g.initializer ?? []) vals.set(t.name ?? '', { t: 'const', v: readTensor(t, file) });
  const inputs = (g.input ?? []).filter((i) => !vals.has(i.name ?? ''));
  if (inputs.length !== 1) throw new InputError(`${file}: graph has ${inputs.length} non-constant inputs; lowbit imports a single-input chain`);
  const gin = inputs[0]!;
  const tt = gin.type?.tensorType;
  const dims = (tt?.shape?.dim ?? []).map((d) => (d.dimValue !== undefined && d.dimValue !== null && num(d.dimValue) > 0 ? num(d.dimValue) : -1));
  const inputShape = [...(opts.inputShape ?? dims.slice(1))];
  if (inputShape.length === 0 || inputShape.some((d) => d < 1)) {
    throw new InputError(`${file}: input ${gin.name} has shape [${dims}]; give the per-sample shape (inputShape option / --input-shape)`);
  }
  const elem = tt?.elemType ?? DT.FLOAT;
  if (elem === DT.FLOAT) vals.set(gin.name ?? '', { t: 'float', layout: { shape: [...inputShape], src: null } });
  else if (elem === DT.UINT8 || elem === DT.INT8) vals.set(gin.name ?? '', { t: 'qin', signed: elem === DT.INT8 });
  else throw new InputError(`${file}: input ${gin.name}: element type ${DT[elem] ?? elem}; allowed: float, uint8, int8`);

  const chain = new LayerChain(file, inputShape);
  const layers = chain.layers;
  const push = (l: Layer) => chain.push(l);
  /** quantized tensors reshaped (same data order) to a shape lowbit has no layer for: only the graph output may be one */
  const reshaped = new Set<string>();
  const finish = (p: Pending, out: ActQuant | null): Val => {
    push(finishStage(p, out, opts));
    return out ? { t: 'q', q: out } : { t: 'acc' };
  };

  /** the index of the layer whose output a quantized tensor is (the chain end when it was produced) */
  const producer = new Map<string, number>();
  /** the readers of each tensor (null: a graph output) */
  const readers = new Map<string, (NodeProto | null)[]>();
  const read = (t: string, by: NodeProto | null) => readers.set(t, [...(readers.get(t) ?? []), by]);
  for (const n of g.node ?? []) for (const i of n.input ?? []) read(i, n);
  for (const o of g.output ?? []) read(o.name ?? '', null);
  const view: GraphView = { file, readers, constant: (t) => { const v = vals.get(t); return v?.t === 'const' ? v.v : undefined; } };
  /** nodes already read as part of a threshold / binary-quantize pattern */
  const consumed = new Set<NodeProto>();
  /** the output of a recognised pattern: a quantized tensor, output of the last layer */
  const patternOutput = (t: string, q: ActQuant, nodes: NodeProto[]) => {
    nodes.forEach((n) => consumed.add(n));
    vals.set(t, { t: 'q', q });
    producer.set(t, layers.length - 1);
  };
  for (const node of g.node ?? []) {
    if (consumed.has(node)) continue;
    const op = node.opType ?? '';
    const where = `${file}: node ${node.name || '(unnamed)'} (${op})`;
    // lowbit's model is a chain: every op reads the last layer's output, except the skip operand of a QLinearAdd
    // or of a QDQ Add (DequantizeLinear keeps its input's producer; the Adds check their operands themselves)
    const in0 = node.input?.[0] ?? '';
    if (op !== 'QLinearAdd' && op !== 'Add' && op !== 'DequantizeLinear' && producer.has(in0) && producer.get(in0) !== layers.length - 1) {
      throw new InputError(`${where}: input ${in0} is the output of layer ${producer.get(in0)}, not of the last one (${layers.length - 1}); lowbit imports a chain whose only branches are QLinearAdd (or QDQ Add) skip connections`);
    }
    const get = (i: number): Val | undefined => {
      const n = node.input?.[i];
      if (n === undefined || n === '') return undefined;
      const v = vals.get(n);
      if (!v) throw new InputError(`${where}: input ${n} is not produced by an earlier node (the graph must be topologically sorted)`);
      if (reshaped.has(n) && !LAYOUT_OPS.has(op)) throw new InputError(`${where}: input ${n} is a quantized tensor reshaped to a non-flat shape; only the graph output may be (lowbit keeps [N, features] or [N, C, H, W] between layers)`);
      return v;
    };
    const constAt = (i: number): number[] | undefined => {
      const v = get(i);
      if (v === undefined) return undefined;
      if (v.t !== 'const') throw new InputError(`${where}: input ${i} (${node.input?.[i]}) must be a constant initializer`);
      return v.v.values;
    };
    const set = (v: Val) => vals.set(node.output?.[0] ?? '', v);
    function unsupported(why: string): never {
      throw new InputError(`${where}: ${why}`);
    }
    const x0 = get(0);
    if (x0 === undefined) unsupported('missing first input');
    const x: Val = x0;
    switch (op) {
      case 'Identity':
        set(x);
        if (reshaped.has(node.input?.[0] ?? '')) reshaped.add(node.output?.[0] ?? '');
        break;
      case 'Constant': {
        const t = node.attribute?.find((a) => a.name === 'value')?.t;
        if (!t) unsupported('only a tensor-valued Constant is supported');
        set({ t: 'const', v: readTensor(t!, where) });
        break;
      }
      case 'QuantizeLinear': {
        const q = quantOf(constAt(1), get(2), where, 'y');
        if (x.t === 'float') {
          if (layers.length > 0) unsupported('a float tensor in the middle of the graph cannot be quantized');
          // float layout ops before the first QuantizeLinear: a reshape keeps the data, so it becomes the
          // model's input shape (or a flatten); a Transpose is folded into the first dense layer's weights
          chain.startInput(x.layout, node.name || 'input', q);
          set({ t: 'q', q });
        } else if (x.t === 'mac') {
          if (!x.float) unsupported('QuantizeLinear of an int32 accumulator needs a Cast + Mul to float first');
          set(finish(x.p, q));
        } else if (x.t === 'qadd') {
          // DequantizeLinear -> Add -> QuantizeLinear: ONNX Runtime's CPU graph optimizer fuses it into QLinearAdd
          // only when A, B and the output have one element type (its BinaryNodeGroupSelector); otherwise it adds
          // in float32, which the add layer does not model
          if (x.a.quant.format.type !== 'int' || x.b.quant.format.type !== 'int' || q.format.type !== 'int' || x.a.quant.format.signed !== q.format.signed || x.b.quant.format.signed !== q.format.signed) {
            unsupported('the Add\'s inputs and its QuantizeLinear output must all be uint8 or all int8 (ONNX Runtime fuses DequantizeLinear -> Add -> QuantizeLinear into QLinearAdd only then)');
          }
          push({ kind: 'add', name: x.name, a: x.a, b: x.b, output: q });
          set({ t: 'q', q });
        } else if (x.t === 'qgap') {
          push({ kind: 'globalavgpool', name: x.name, input: x.input, output: q });
          set({ t: 'q', q });
        } else if (x.t === 'dq') {
          if (x.q.scale !== q.scale || x.q.zeroPoint !== q.zeroPoint || x.q.format.type !== q.format.type) {
            unsupported('re-quantizing a tensor to different parameters is not supported (scale/zero point must match)');
          }
          set({ t: 'q', q: x.q });
        } else unsupported(`input is ${x.t}; expected a float tensor`);
        break;
      }
      case 'DequantizeLinear': {
        if (x.t === 'const') {
          const scale = constAt(1) ?? unsupported('missing scale');
          const zp = get(2)?.t === 'const' ? constAt(2)! : new Array<number>(scale.length).fill(0);
          set({ t: 'dqconst', v: x.v, scale, zp, axis: attrInt(node, 'axis', 1) });
        } else if (x.t === 'q' || x.t === 'qin') {
          const q = x.t === 'q' ? x.q : quantOf(constAt(1), get(2), where, 'x');
          const same = quantOf(constAt(1), get(2), where, 'x');
          if (same.scale !== q.scale || same.zeroPoint !== q.zeroPoint) unsupported('DequantizeLinear parameters differ from the QuantizeLinear that produced the tensor');
          set({ t: 'dq', q });
        } else unsupported(`input is ${x.t}; expected quantized integers`);
        break;
      }
      case 'MatMul':
      case 'Gemm':
      case 'Conv':
      case 'MatMulInteger':
      case 'ConvInteger':
      case 'QLinearMatMul':
      case 'QLinearConv':
      case 'QGemm': {
        const r = macLayer(node, op, x, get, constAt, chain.shape, where);
        if (chain.inputSrc) {
          if (r.p.layer.kind !== 'dense') unsupported('a Transpose of the float input can be folded only into a first dense layer (lowbit feeds the input in its stored order)');
          r.p.layer.weight.data = permuteColumns(r.p.layer.weight.data, r.p.layer.inFeatures, chain.inputSrc);
          chain.inputSrc = null;
        }
        if (r.out === undefined) set({ t: 'mac', p: r.p, float: r.float });
        else set(finish(r.p, r.out));
        break;
      }
      case 'Add': {
        if (x.t === 'dq') {
          // QDQ residual: Add(DequantizeLinear(a), DequantizeLinear(b)) -> QuantizeLinear, an `add` layer
          const [a, b] = [0, 1].map((i): AddOperand => {
            const name = node.input?.[i] ?? '';
            const v = get(i);
            if (v?.t !== 'dq' || !producer.has(name)) unsupported(`input ${name} must be a DequantizeLinear of a layer's quantized output (a QDQ residual Add)`);
            return { from: producer.get(name)!, quant: v.q };
          }) as [AddOperand, AddOperand];
          if (a.from !== layers.length - 1 && b.from !== layers.length - 1) unsupported('neither input is the output of the last layer; lowbit imports a chain with skip connections');
          // read by one QuantizeLinear, or by one Relu read by one QuantizeLinear (checked in the Relu case)
          const r = readers.get(node.output?.[0] ?? '') ?? [];
          const next = r.length === 1 && r[0]?.opType === 'Relu' ? (readers.get(r[0].output?.[0] ?? '') ?? []) : r;
          if (next.length !== 1 || next[0]?.opType !== 'QuantizeLinear') {
            unsupported('the sum must be read only by one QuantizeLinear, or one Relu then one QuantizeLinear (ONNX Runtime fuses DequantizeLinear -> Add -> QuantizeLinear into QLinearAdd; a float sum used otherwise has no lowbit layer)');
          }
          set({ t: 'qadd', a, b, name: node.name || 'add' });
          break;
        }
        if (x.t !== 'mac') unsupported('Add is supported only as the bias of a MatMul/Conv/Gemm, or of two DequantizeLinear outputs followed by a QuantizeLinear (QDQ residual)');
        const b = get(1);
        const p = x.p;
        const O = p.layer.kind === 'dense' ? p.layer.outFeatures : p.layer.outChannels;
        let bias: number[];
        if (b?.t === 'dqconst' && b.v.dataType === DT.INT32) bias = b.v.values;
        else if (b?.t === 'const' && b.v.dataType === DT.INT32 && !x.float) bias = b.v.values;
        else if (b?.t === 'const' && b.v.dataType === DT.FLOAT && x.float) {
          // a float bias: quantize to the accumulator scale inScale * wScale[o] (round half to even)
          bias = b.v.values.map((v, o) => roundHalfEven(v / (p.layer.input.scale * (p.layer.weight.scale[o] ?? p.layer.weight.scale[0]!))));
        } else throw new InputError(`${where}: bias must be an int32 constant (or DequantizeLinear of one)`);
        if (bias.length !== O) unsupported(`bias has ${bias.length} values; the layer has ${O} outputs`);
        const old = p.layer.bias;
        p.layer.bias = Int32Array.from(bias, (v, o) => (v + (old ? old[o]! : 0)) | 0);
        set(x);
        break;
      }
      case 'Relu': {
        if (x.t === 'qadd') {
          // Add -> Relu -> QuantizeLinear: ONNX Runtime drops the Relu when the zero point is the type's minimum
          // (QuantizeLinear then saturates every negative sum to it: Q(max(s, 0)) = Q(s)) and fuses the rest into
          // QLinearAdd; with another zero point it adds in float32
          const q = (readers.get(node.output?.[0] ?? '') ?? [])[0]!;
          const zp = vals.get(q.input?.[2] ?? '');
          const min = zp?.t === 'const' ? (zp.v.dataType === DT.INT8 ? -128 : 0) : 0;
          if (zp !== undefined && (zp.t !== 'const' || zp.v.values[0] !== min)) {
            unsupported(`a Relu between Add and QuantizeLinear is exact only with the zero point at the type's minimum (uint8 0, int8 -128), as ONNX Runtime then removes it; the QuantizeLinear's zero point is ${zp.t === 'const' ? zp.v.values[0] : 'not a constant'}`);
          }
          set(x);
          break;
        }
        if (x.t === 'mac') {
          x.p.relu = true;
          set(x);
        } else if (x.t === 'dq' || x.t === 'q') {
          const q = x.q;
          push({ kind: 'clamp', name: node.name || 'relu', min: q.zeroPoint, max: formatRange(q.format).max });
          set(x);
        } else unsupported(`Relu of a ${x.t} tensor`);
        break;
      }
      case 'Clip': {
        if (x.t !== 'q' && x.t !== 'dq') unsupported('Clip needs a quantized input');
        const q = x.q;
        const r = formatRange(q.format);
        const lo = Math.max(r.min, constAt(1)?.[0] ?? r.min);
        const hi = Math.min(r.max, constAt(2)?.[0] ?? r.max);
        const last = layers[layers.length - 1];
        const narrow = narrowFormat(q, lo, hi);
        // folding the clip into the producer changes its output: only when nothing else reads that tensor
        const sole = (readers.get(in0)?.filter((r) => r !== null).length ?? 0) <= 1;
        if (sole && last?.kind === 'quantize' && last.output === q && narrow) {
          last.output = { ...q, format: narrow };
          set({ t: x.t, q: last.output });
        } else if (sole && (last?.kind === 'dense' || last?.kind === 'conv2d') && last.output.kind === 'requantize' && last.output.output === q) {
          const st = last.output;
          st.clamp = { min: Math.max(st.clamp.min, lo), max: Math.min(st.clamp.max, hi) };
          if (narrow) {
            st.output = { ...q, format: narrow };
            set({ t: x.t, q: st.output });
          } else set(x);
        } else {
          push({ kind: 'clamp', name: node.name || 'clip', min: lo, max: hi });
          set(x);
        }
        break;
      }
      case 'Cast': {
        if (x.t !== 'mac' || x.float || attrInt(node, 'to', 0) !== DT.FLOAT) unsupported('only Cast of an int32 accumulator to float is supported');
        set({ t: 'mac', p: x.p, float: true, unscaled: true });
        break;
      }
      case 'Mul': {
        if (x.t !== 'mac' || !x.unscaled) unsupported('Mul is supported only as the scale of a Cast int32 accumulator');
        const s = constAt(1)!;
        const p = x.p;
        p.layer.weight.scale = s.map((v) => Math.fround(v) / p.layer.input.scale);
        set({ t: 'mac', p, float: true });
        break;
      }
      case 'Flatten':
      case 'Reshape':
      case 'Squeeze':
      case 'Unsqueeze':
      case 'Transpose': {
        if (x.t === 'float') {
          set({ t: 'float', layout: applyLayout(node, op, x.layout, constAt, where) });
          break;
        }
        if (x.t === 'mac' && op === 'Unsqueeze' && !x.float) {
          // the threshold stage exportOnnx writes after a MatMulInteger / ConvInteger (+ bias)
          if (x.p.relu) unsupported('a Relu before integer thresholds is not supported');
          const r = readThresholdStage(view, node, x.p.layer);
          x.p.layer.output = r.value;
          push(x.p.layer);
          patternOutput(r.output, r.value.output, r.nodes);
          break;
        }
        if (x.t === 'mac') unsupported(`${op} of an accumulator (before its QuantizeLinear) is not supported`);
        if (x.t !== 'q' && x.t !== 'dq') unsupported(`${op} of a ${x.t} tensor is not supported`);
        // a quantized tensor (also the float output of the last DequantizeLinear): flattening is a no-op on
        // lowbit's row-major data; any other change of shape or order has no layer
        const lay = applyLayout(node, op, { shape: chain.shape, src: null }, constAt, where);
        if (lay.src) unsupported(`${op} reorders a quantized tensor of shape [${chain.shape}]; only flattening and reshapes that keep the order are representable`);
        if (lay.shape.length === 1 && chain.shape.length > 1) push({ kind: 'flatten', name: node.name || 'flatten' });
        set(x);
        // any other reshape keeps the row-major data: allowed on the way to the graph output only
        if (lay.shape.join() !== chain.shape.join() && lay.shape.length > 1) reshaped.add(node.output?.[0] ?? '');
        break;
      }
      case 'MaxPool': {
        if (x.t !== 'q' && x.t !== 'dq') unsupported('MaxPool needs a quantized input');
        if (chain.inputSrc) unsupported('a Transpose of the float input can be folded only into a first dense layer');
        if (attrInt(node, 'ceil_mode', 0) !== 0) unsupported('ceil_mode 1 is not supported');
        if ((attrInts(node, 'dilations') ?? [1, 1]).some((d) => d !== 1)) unsupported('dilations other than 1 are not supported');
        const k = attrInts(node, 'kernel_shape') ?? unsupported('missing kernel_shape');
        const s = attrInts(node, 'strides') ?? [1, 1];
        const pads = attrInts(node, 'pads') ?? [0, 0, 0, 0];
        push({ kind: 'maxpool2d', name: node.name || 'maxpool', kernel: [k[0]!, k[1]!], stride: [s[0]!, s[1]!], padding: [pads[0]!, pads[1]!, pads[2]!, pads[3]!] });
        set(x);
        break;
      }
      case 'GlobalAveragePool': {
        // QDQ: DequantizeLinear -> GlobalAveragePool -> QuantizeLinear. ONNX Runtime's graph optimizer fuses it
        // into QLinearGlobalAveragePool (its QDQ rule for unary ops; an int8 QuantizeLinear -> DequantizeLinear
        // pair is first made uint8 with the zero point + 128, the same integers): a globalavgpool layer
        if (x.t !== 'dq') unsupported('GlobalAveragePool is imported between a DequantizeLinear and a QuantizeLinear (QDQ form), or as com.microsoft QLinearGlobalAveragePool');
        const r = readers.get(node.output?.[0] ?? '') ?? [];
        if (r.length !== 1 || r[0]?.opType !== 'QuantizeLinear') {
          unsupported('the average must be read only by one QuantizeLinear (ONNX Runtime fuses DequantizeLinear -> GlobalAveragePool -> QuantizeLinear into QLinearGlobalAveragePool; a float average used otherwise has no lowbit layer)');
        }
        set({ t: 'qgap', input: x.q, name: node.name || 'globalavgpool' });
        break;
      }
      case 'QLinearAdd':
      case 'QLinearGlobalAveragePool': {
        if (node.domain !== 'com.microsoft') unsupported(`op ${node.domain ? node.domain + '.' : ''}${op}; allowed: com.microsoft.${op}`);
        const operand = (i: number): AddOperand => {
          const v = get(i);
          const name = node.input?.[i] ?? '';
          if (v?.t !== 'q' || !producer.has(name)) unsupported(`input ${name} must be a quantized tensor produced by an earlier layer`);
          return { from: producer.get(name)!, quant: qlinearInputQuant(v.q, quantOf(constAt(i + 1), get(i + 2), where, `input ${i}`), where) };
        };
        if (op === 'QLinearGlobalAveragePool') {
          if (attrInt(node, 'channels_last', 0) !== 0) unsupported('channels_last 1 is not supported (lowbit feature maps are NCHW)');
          const { quant } = operand(0);
          const out = quantOf(constAt(3), get(4), where, 'output');
          push({ kind: 'globalavgpool', name: node.name || 'globalavgpool', input: quant, output: out });
          set({ t: 'q', q: out });
          break;
        }
        const a = operand(0);
        const b = operand(3);
        const out = quantOf(constAt(6), get(7), where, 'output');
        if (a.from !== layers.length - 1 && b.from !== layers.length - 1) unsupported('neither input is the output of the last layer; lowbit imports a chain with skip connections');
        push({ kind: 'add', name: node.name || 'add', a, b, output: out });
        set({ t: 'q', q: out });
        break;
      }
      case 'GreaterOrEqual': {
        // the binary quantize exportOnnx writes: x >= 0 ? +1 : -1
        if (x.t !== 'float' || layers.length > 0) unsupported('GreaterOrEqual is read only as the binary quantize of the float input (or inside integer thresholds)');
        const r = readBinaryQuantize(view, node);
        chain.startInput(x.layout, r.nodes[r.nodes.length - 1]!.name || 'input', r.value);
        patternOutput(r.output, r.value, r.nodes);
        break;
      }
      default:
        unsupported(`op ${node.domain ? node.domain + '.' : ''}${op} is not supported by lowbit's ONNX import (see ${docPath('model.md')} for the list)`);
    }
    const o = node.output?.[0] ?? '';
    const ov = vals.get(o);
    if ((ov?.t === 'q' || ov?.t === 'dq') && layers.length > 0) producer.set(o, op === 'DequantizeLinear' && producer.has(in0) ? producer.get(in0)! : layers.length - 1);
  }
  const outs = g.output ?? [];
  if (outs.length !== 1) throw new InputError(`${file}: graph has ${outs.length} outputs; lowbit imports a single-output chain`);
  const last = vals.get(outs[0]!.name ?? '');
  if (!last) throw new InputError(`${file}: output ${outs[0]!.name} is not produced by any node`);
  if (last.t === 'mac') finish(last.p, null);
  else if (last.t === 'float' || last.t === 'const' || last.t === 'dqconst') throw new InputError(`${file}: the output is not a quantized tensor`);
  const model: QuantizedModel = {
    schemaVersion: SCHEMA_VERSION,
    name: opts.name ?? (m.graph?.name || 'onnx-model'),
    inputShape,
    layers,
    provenance: {
      tool: 'lowbit onnx-import',
      date: opts.date ?? new Date().toISOString(),
      source: typeof source === 'string' ? source : file,
      accuracy: [],
      notes: `producer ${m.producerName ?? ''} ${m.producerVersion ?? ''}, opset ${(m.opsetImport ?? []).map((o) => `${o.domain || 'ai.onnx'}:${num(o.version)}`).join(' ')}`,
    },
  };
  validateModel(model, file);
  return model;
}

export type { ImportOptions, NodeProto };

/** The quantization a QLinear op declares for an input must be the tensor's own (format type, scale, zero point). */
function qlinearInputQuant(q: ActQuant, declared: ActQuant, where: string): ActQuant {
  if (declared.scale !== q.scale || declared.zeroPoint !== q.zeroPoint || declared.format.type !== q.format.type) {
    throw new InputError(`${where}: declared input quantization (scale ${declared.scale}, zero point ${declared.zeroPoint}) differs from the tensor's (${q.scale}, ${q.zeroPoint})`);
  }
  return q;
}

/**
 * A Clip right after a quantizer whose upper bound is the top of a narrower format (e.g. [0, 15] after a
 * uint8 QuantizeLinear) declares that format: lowbit exports sub-8-bit tensors as 8-bit containers + Clip.
 */
function narrowFormat(q: ActQuant, lo: number, hi: number): TensorFormat | null {
  if (q.format.type !== 'int') return null;
  const { signed } = q.format;
  for (let b = 1; b < q.format.bits; b++) {
    const { min, max } = formatRange(intFormat(b, signed));
    if (hi === max && lo >= min && q.zeroPoint >= min && q.zeroPoint <= max) return { type: 'int', bits: b, signed };
  }
  return null;
}
