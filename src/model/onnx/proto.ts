import type protobuf from 'protobufjs';
import { createRequire } from 'node:module';
import { checkAlloc } from '../../util/budget.js';
import { InputError } from '../../util/errors.js';
import { ONNX_SCHEMA } from './schema.js';

/**
 * The ONNX protobuf messages through protobufjs (reflection over the schema of onnx-ml.proto, schema.ts):
 * decode/encode a ModelProto, read tensors (raw_data or the typed fields) into numbers, read attributes,
 * and build tensors/nodes/value infos for export and for tests. The interfaces below are the fields lowbit
 * reads or writes (camelCase, as protobufjs names them); int64 fields decode as Long objects (`num`).
 * protobufjs (~130 CommonJS modules) is required on the first decode/encode, not when this module loads:
 * commands and library users that never read or write ONNX do not pay its start-up.
 */
let modelProtoType: protobuf.Type | undefined;
function modelProto(): protobuf.Type {
  if (modelProtoType === undefined) {
    const pb = createRequire(import.meta.url)('protobufjs') as typeof protobuf;
    modelProtoType = pb.Root.fromJSON(ONNX_SCHEMA as unknown as protobuf.INamespace).lookupType('onnx.ModelProto');
  }
  return modelProtoType;
}

/** An enum of the schema as a two-way object, like protobufjs's static code: NAME -> code and code -> NAME. */
function twoWay(values: Readonly<Record<string, number>>): Record<string, number> & Record<number, string> {
  return Object.freeze({ ...values, ...Object.fromEntries(Object.entries(values).map(([k, v]) => [v, k])) }) as Record<string, number> & Record<number, string>;
}
const SCHEMA = ONNX_SCHEMA.nested.onnx.nested;

type Int64 = number | { toNumber(): number } | null | undefined;

export interface TensorProto {
  name?: string | null;
  dims?: Int64[] | null;
  dataType?: number | null;
  rawData?: Uint8Array | null;
  int32Data?: number[] | null;
  int64Data?: Int64[] | null;
  floatData?: number[] | null;
  doubleData?: number[] | null;
  docString?: string | null;
}
export interface AttributeProto {
  name?: string | null;
  type?: number | null;
  f?: number | null;
  i?: Int64;
  s?: Uint8Array | null;
  t?: TensorProto | null;
  floats?: number[] | null;
  ints?: Int64[] | null;
}
export interface NodeProto {
  name?: string | null;
  opType?: string | null;
  domain?: string | null;
  input?: string[] | null;
  output?: string[] | null;
  attribute?: AttributeProto[] | null;
  docString?: string | null;
}
export interface ValueInfoProto {
  name?: string | null;
  type?: { tensorType?: { elemType?: number | null; shape?: { dim?: { dimValue?: Int64; dimParam?: string | null }[] | null } | null } | null } | null;
  docString?: string | null;
}
export interface GraphProto {
  name?: string | null;
  node?: NodeProto[] | null;
  initializer?: TensorProto[] | null;
  input?: ValueInfoProto[] | null;
  output?: ValueInfoProto[] | null;
  valueInfo?: ValueInfoProto[] | null;
  docString?: string | null;
  /** per tensor, key/value pairs (qonnx / FINN: key `finn_datatype`, value a DataType name such as INT2) */
  quantizationAnnotation?: { tensorName?: string | null; quantParameterTensorNames?: { key?: string | null; value?: string | null }[] | null }[] | null;
}
export interface OperatorSetIdProto {
  domain?: string | null;
  version?: Int64;
}
export interface ModelProto {
  irVersion?: Int64;
  opsetImport?: OperatorSetIdProto[] | null;
  producerName?: string | null;
  producerVersion?: string | null;
  domain?: string | null;
  modelVersion?: Int64;
  docString?: string | null;
  graph?: GraphProto | null;
  metadataProps?: { key?: string | null; value?: string | null }[] | null;
}

/** The message types and enums lowbit uses, under the names of the ONNX schema. */
export const onnx = {
  TensorProto: { DataType: twoWay(SCHEMA.TensorProto.nested.DataType.values) },
  AttributeProto: { AttributeType: twoWay(SCHEMA.AttributeProto.nested.AttributeType.values) },
};

export const DT = onnx.TensorProto.DataType;

/** int64 proto field (number or Long) -> number. */
export function num(x: Int64): number {
  if (x === null || x === undefined) return 0;
  return typeof x === 'number' ? x : x.toNumber();
}

export function decodeModel(bytes: Uint8Array, file: string): ModelProto {
  try {
    return modelProto().decode(bytes) as unknown as ModelProto;
  } catch (e) {
    throw new InputError(`${file}: not an ONNX model (${(e as Error).message})`);
  }
}

export function encodeModel(m: ModelProto): Uint8Array {
  const t = modelProto();
  return t.encode(t.create(m as Record<string, unknown>)).finish();
}

/** A decoded tensor: numbers (integers or float32 values) and dims. */
export interface TensorValue {
  dataType: number;
  dims: number[];
  values: number[];
}

/** Reads any int8/uint8/int16/uint16/int32/int64/float/double tensor. */
export function readTensor(t: TensorProto, where: string): TensorValue {
  const dims = (t.dims ?? []).map(num);
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new InputError(`${where}: tensor ${t.name}: dims [${dims}]; allowed: non-negative integers`);
  const n = dims.reduce((a, b) => a * b, 1);
  checkAlloc(`${where}: tensor ${t.name} of dims [${dims}] (${n} values)`, 8 * n);
  const dt = t.dataType ?? 0;
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : null;
  const values: number[] = new Array<number>(n);
  if (raw) {
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const size: Record<number, number> = { [DT.INT8]: 1, [DT.UINT8]: 1, [DT.INT16]: 2, [DT.UINT16]: 2, [DT.INT32]: 4, [DT.INT64]: 8, [DT.FLOAT]: 4, [DT.DOUBLE]: 8 };
    const s = size[dt];
    if (s === undefined) throw new InputError(`${where}: tensor ${t.name}: data type ${DT[dt] ?? dt} is not supported (int8, uint8, int16, uint16, int32, int64, float, double)`);
    if (raw.length !== n * s) throw new InputError(`${where}: tensor ${t.name}: raw_data has ${raw.length} bytes; dims [${dims}] need ${n * s}`);
    for (let i = 0; i < n; i++) {
      switch (dt) {
        case DT.INT8: values[i] = dv.getInt8(i); break;
        case DT.UINT8: values[i] = dv.getUint8(i); break;
        case DT.INT16: values[i] = dv.getInt16(2 * i, true); break;
        case DT.UINT16: values[i] = dv.getUint16(2 * i, true); break;
        case DT.INT32: values[i] = dv.getInt32(4 * i, true); break;
        case DT.INT64: values[i] = Number(dv.getBigInt64(8 * i, true)); break;
        case DT.FLOAT: values[i] = dv.getFloat32(4 * i, true); break;
        case DT.DOUBLE: values[i] = dv.getFloat64(8 * i, true); break;
      }
    }
    return { dataType: dt, dims, values };
  }
  let src: ArrayLike<Int64>;
  switch (dt) {
    case DT.INT8: case DT.UINT8: case DT.INT16: case DT.UINT16: case DT.INT32: src = t.int32Data ?? []; break;
    case DT.INT64: src = t.int64Data ?? []; break;
    case DT.FLOAT: src = t.floatData ?? []; break;
    case DT.DOUBLE: src = t.doubleData ?? []; break;
    default: throw new InputError(`${where}: tensor ${t.name}: data type ${DT[dt] ?? dt} is not supported`);
  }
  if (src.length !== n) throw new InputError(`${where}: tensor ${t.name}: has ${src.length} values; dims [${dims}] need ${n}`);
  for (let i = 0; i < n; i++) values[i] = num(src[i]);
  return { dataType: dt, dims, values };
}

/** Builds a tensor with raw little-endian data. */
export function makeTensor(name: string, dataType: number, dims: number[], values: ArrayLike<number>): TensorProto {
  const size: Record<number, number> = { [DT.INT8]: 1, [DT.UINT8]: 1, [DT.INT32]: 4, [DT.INT64]: 8, [DT.FLOAT]: 4 };
  const s = size[dataType];
  if (s === undefined) throw new InputError(`makeTensor ${name}: data type ${DT[dataType] ?? dataType} not supported`);
  const raw = new Uint8Array(values.length * s);
  const dv = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    switch (dataType) {
      case DT.INT8: dv.setInt8(i, v); break;
      case DT.UINT8: dv.setUint8(i, v); break;
      case DT.INT32: dv.setInt32(4 * i, v, true); break;
      case DT.INT64: dv.setBigInt64(8 * i, BigInt(v), true); break;
      case DT.FLOAT: dv.setFloat32(4 * i, v, true); break;
    }
  }
  return { name, dataType, dims, rawData: raw };
}

/** Attribute value by name: ints, floats, int, float, string; undefined when absent. */
export function attr(node: NodeProto, name: string): number | number[] | string | undefined {
  const a = (node.attribute ?? []).find((x) => x.name === name);
  if (!a) return undefined;
  const T = onnx.AttributeProto.AttributeType;
  switch (a.type) {
    case T.INT: return num(a.i as Int64);
    case T.FLOAT: return a.f ?? 0;
    case T.INTS: return (a.ints ?? []).map((x) => num(x as Int64));
    case T.FLOATS: return a.floats ?? [];
    case T.STRING: return new TextDecoder().decode(a.s ?? new Uint8Array());
    default: return undefined;
  }
}

export function attrInt(node: NodeProto, name: string, dflt: number): number {
  const v = attr(node, name);
  return typeof v === 'number' ? v : dflt;
}

export function attrInts(node: NodeProto, name: string): number[] | undefined {
  const v = attr(node, name);
  return Array.isArray(v) ? v : undefined;
}

/** Builds a node; attributes given as numbers (INT), number[] (INTS), {f: number} (FLOAT) or {s: string} (STRING). */
export function makeNode(opType: string, inputs: string[], outputs: string[], name: string, attrs: Record<string, number | number[] | { f: number } | { s: string }> = {}, domain = ''): NodeProto {
  const T = onnx.AttributeProto.AttributeType;
  const attribute = Object.entries(attrs).map(([k, v]) =>
    Array.isArray(v) ? { name: k, type: T.INTS, ints: v }
      : typeof v === 'number' ? { name: k, type: T.INT, i: v }
        : 'f' in v ? { name: k, type: T.FLOAT, f: v.f }
          : { name: k, type: T.STRING, s: new TextEncoder().encode(v.s) },
  );
  return { opType, input: inputs, output: outputs, name, attribute, domain };
}

/** A graph input/output description of a tensor (dims may be strings for symbolic sizes). */
export function makeValueInfo(name: string, elemType: number, dims: (number | string)[]) {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}
