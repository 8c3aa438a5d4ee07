import { intFormat } from '../../arith/format.js';
import { InputError } from '../../util/errors.js';
import { formatRange, type ActQuant, type Conv2dLayer, type DenseLayer, type OutputStage } from '../types.js';
import { attrInt, DT, type NodeProto, type TensorValue } from './proto.js';

/**
 * Reads back the integer threshold ops `exportOnnx` (export.ts) writes, exactly that pattern and nothing looser:
 *
 *   threshold stage of a MatMulInteger / ConvInteger (+ bias Add) int32 accumulator `acc`:
 *     u = Unsqueeze(acc, axes [-1]);  ge = GreaterOrEqual(u, T)     T int32 [S] | [O, S] (dense) | [O, 1, 1, S] (conv)
 *     n = ReduceSum(Cast(ge, int32), axes [-1], keepdims 0)         n = #{t : acc >= T[o][t]}
 *     y = n + offset,  or bipolar  y = 2 n - 1                      (Mul int32 2, Add int32 constant)
 *     codes = Cast(y, int8 | uint8) -> DequantizeLinear(s, z) -> QuantizeLinear(s, z)   (identity; carries s, z)
 *     [Clip(lo, hi)]: the range of a narrower int format that holds every code -> that format
 *   binary quantize of the float input:
 *     codes = Cast(2 * Cast(x >= 0.0, int32) - 1, int8) -> DequantizeLinear(s, 0) -> QuantizeLinear(s, 0)
 *
 * Every intermediate tensor must have exactly one reader, the next op of the pattern; anything else is an
 * InputError naming the node and what the pattern expects there.
 */

/** What the matcher needs of the graph. */
export interface GraphView {
  file: string;
  /** the nodes reading each tensor (a graph output counts as a reader too: `null`) */
  readers: Map<string, (NodeProto | null)[]>;
  /** the value of a constant tensor (initializer or Constant node), else undefined */
  constant(name: string): TensorValue | undefined;
}

export type ThresholdStage = Extract<OutputStage, { kind: 'threshold' }>;

/** A recognised pattern: what it computes, its output tensor and the nodes it spans. */
interface Match<T> {
  value: T;
  output: string;
  nodes: NodeProto[];
}

const PATTERN = 'integer thresholds are read back only as `lowbit export --format onnx` writes them (docs/model.md, "ONNX interchange")';

class Walk {
  readonly nodes: NodeProto[] = [];

  constructor(private readonly view: GraphView, first: NodeProto) {
    this.nodes.push(first);
  }

  fail(node: NodeProto, why: string): never {
    throw new InputError(`${this.view.file}: node ${node.name || '(unnamed)'} (${node.opType}): ${why}; ${PATTERN}`);
  }

  /** The only reader of the last node's output when it is `op` (reading it as input 0), else undefined. */
  peek(op: string): NodeProto | undefined {
    const n = this.nodes[this.nodes.length - 1]!;
    const r = this.view.readers.get(n.output?.[0] ?? '') ?? [];
    return r.length === 1 && r[0]?.opType === op && r[0].input?.[0] === n.output?.[0] ? r[0] : undefined;
  }

  /** The next node, which must be `op` (`what` describes it in the error). */
  next(op: string, what = op): NodeProto {
    const n = this.nodes[this.nodes.length - 1]!;
    const r = this.view.readers.get(n.output?.[0] ?? '') ?? [];
    const m = this.peek(op);
    if (!m) this.fail(n, `its output must be read only by ${what}, not by ${r.map((x) => (x ? `${x.name || '(unnamed)'} (${x.opType})` : 'the graph output')).join(', ') || 'nothing'}`);
    this.nodes.push(m);
    return m;
  }

  /** Constant input `i` of `node`: of type `dt` and, when `want` is given, exactly those values. */
  constant(node: NodeProto, i: number, dt: number, want?: number[]): TensorValue {
    const v = this.view.constant(node.input?.[i] ?? '');
    const ok = v !== undefined && v.dataType === dt && (!want || (v.values.length === want.length && v.values.every((x, k) => x === want[k])));
    if (!ok) this.fail(node, `input ${i} must be the ${DT[dt]} constant${want ? ` [${want}]` : ''}`);
    return v!;
  }

  cast(to: number[]): NodeProto {
    const n = this.next('Cast');
    if (!to.includes(attrInt(n, 'to', 0))) this.fail(n, `must cast to ${to.map((t) => DT[t]).join(' or ')}`);
    return n;
  }

  /** DequantizeLinear -> QuantizeLinear with one scale and zero point of the container type: the output ActQuant's. */
  carried(container: number): { scale: number; zeroPoint: number } {
    const dq = this.next('DequantizeLinear');
    const s = this.constant(dq, 1, DT.FLOAT);
    const z = this.constant(dq, 2, container);
    if (s.values.length !== 1 || z.values.length !== 1) this.fail(dq, 'scale and zero point must be single values (per tensor)');
    const q = this.next('QuantizeLinear', 'the QuantizeLinear with the same scale and zero point');
    this.constant(q, 1, DT.FLOAT, s.values);
    this.constant(q, 2, container, z.values);
    return { scale: Math.fround(s.values[0]!), zeroPoint: z.values[0]! };
  }

  get output(): string {
    return this.nodes[this.nodes.length - 1]!.output?.[0] ?? '';
  }
}

/** The threshold stage the nodes from `unsqueeze` on (reading `layer`'s int32 accumulator) compute. */
export function readThresholdStage(view: GraphView, unsqueeze: NodeProto, layer: DenseLayer | Conv2dLayer): Match<ThresholdStage> {
  const w = new Walk(view, unsqueeze);
  w.constant(unsqueeze, 1, DT.INT64, [-1]);
  const ge = w.next('GreaterOrEqual', 'GreaterOrEqual with the thresholds');
  const T = w.constant(ge, 1, DT.INT32);
  const O = layer.kind === 'dense' ? layer.outFeatures : layer.outChannels;
  const S = T.dims[T.dims.length - 1] ?? 0;
  const perChannel = layer.kind === 'dense' ? [O, S] : [O, 1, 1, S];
  const channels = T.dims.length === 1 ? 1 : T.dims.join() === perChannel.join() ? O : 0;
  if (channels === 0 || S < 1) w.fail(ge, `thresholds of shape [${T.dims}]; expected [S], or [${perChannel.map((d, k) => (k === perChannel.length - 1 ? 'S' : d))}] per channel`);
  w.cast([DT.INT32]);
  const sum = w.next('ReduceSum');
  w.constant(sum, 1, DT.INT64, [-1]);
  if (attrInt(sum, 'keepdims', 1) !== 0) w.fail(sum, 'keepdims must be 0');
  const mul = w.peek('Mul') ? w.next('Mul') : undefined;
  if (mul) w.constant(mul, 1, DT.INT32, [2]);
  const add = w.peek('Add') ? w.next('Add') : undefined;
  const k = add ? w.constant(add, 1, DT.INT32).values : [0];
  if (k.length !== 1) w.fail(add!, 'the offset must be one int32 value');
  const bipolar = mul !== undefined;
  if (bipolar && k[0] !== -1) w.fail(add ?? mul, 'a bipolar stage (2 n - 1) adds exactly -1');
  const cast = w.cast([DT.INT8, DT.UINT8]);
  const container = attrInt(cast, 'to', 0);
  const { scale, zeroPoint } = w.carried(container);
  const offset = bipolar ? 0 : k[0]!;
  let output: ActQuant = bipolar
    ? { format: { type: 'binary' }, scale, zeroPoint }
    : { format: intFormat(8, container === DT.INT8), scale, zeroPoint };
  // an optional Clip to the full range of a narrower format declares that format when it changes no code
  const clip = !bipolar ? w.peek('Clip') : undefined;
  if (clip) {
    const lo = view.constant(clip.input?.[1] ?? '')?.values;
    const hi = view.constant(clip.input?.[2] ?? '')?.values;
    const signed = container === DT.INT8;
    for (let b = 1; b < 8 && lo?.length === 1 && hi?.length === 1; b++) {
      const r = formatRange(intFormat(b, signed));
      if (lo[0] === r.min && hi[0] === r.max && offset >= r.min && offset + S <= r.max && zeroPoint >= r.min && zeroPoint <= r.max) {
        w.next('Clip');
        output = { ...output, format: intFormat(b, signed) };
        break;
      }
    }
  }
  const thresholds = Int32Array.from(T.values);
  return { value: { kind: 'threshold', thresholds, channels, steps: S, offset, bipolar, output }, output: w.output, nodes: w.nodes };
}

/** The binary quantize layer the nodes from `ge` (GreaterOrEqual of the float input) compute. */
export function readBinaryQuantize(view: GraphView, ge: NodeProto): Match<ActQuant> {
  const w = new Walk(view, ge);
  w.constant(ge, 1, DT.FLOAT, [0]);
  w.cast([DT.INT32]);
  w.constant(w.next('Mul'), 1, DT.INT32, [2]);
  w.constant(w.next('Sub'), 1, DT.INT32, [1]);
  w.cast([DT.INT8]);
  const { scale, zeroPoint } = w.carried(DT.INT8);
  if (zeroPoint !== 0) w.fail(w.nodes[w.nodes.length - 1]!, 'a binary tensor has zero point 0');
  return { value: { format: { type: 'binary' }, scale, zeroPoint }, output: w.output, nodes: w.nodes };
}
