/**
 * A tiny ONNX model builder for tests: one graph of a few nodes, float/int tensors as initializers,
 * encoded with lowbit's ONNX schema (protobufjs, src/model/onnx/proto.ts) into the bytes onnxruntime-node loads. Test-only; the model owner
 * may reuse or move it.
 */
import { encodeModel, onnx, type ModelProto, type ValueInfoProto } from '../../../src/model/onnx/proto.js';

export type ElemType = 'float' | 'uint8' | 'int8' | 'uint16' | 'int16' | 'int32' | 'int64' | 'uint4' | 'int4';

/** ONNX TensorProto.DataType codes. */
export const DTYPE: Record<ElemType, number> = {
  float: 1, uint8: 2, int8: 3, uint16: 4, int16: 5, int32: 6, int64: 7, uint4: 21, int4: 22,
};

export interface TensorSpec {
  name: string;
  type: ElemType;
  dims: number[];
  data: ArrayLike<number>;
}

export interface ValueSpec {
  name: string;
  type: ElemType;
  dims: (number | string)[];
}

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, number>;
}

export interface ModelSpec {
  opset: number;
  irVersion?: number;
  nodes: NodeSpec[];
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  initializers?: TensorSpec[];
}

/** Little-endian raw bytes of tensor data in the element type (int4/uint4 packed low nibble first). */
export function rawBytes(type: ElemType, data: ArrayLike<number>): Uint8Array {
  const n = data.length;
  switch (type) {
    case 'float': return new Uint8Array(Float32Array.from(data).buffer);
    case 'uint8': return Uint8Array.from(data);
    case 'int8': return new Uint8Array(Int8Array.from(data).buffer);
    case 'uint16': return new Uint8Array(Uint16Array.from(data).buffer);
    case 'int16': return new Uint8Array(Int16Array.from(data).buffer);
    case 'int32': return new Uint8Array(Int32Array.from(data).buffer);
    case 'int64': return new Uint8Array(BigInt64Array.from(Array.from(data, (v) => BigInt(v))).buffer);
    case 'uint4':
    case 'int4': {
      const out = new Uint8Array((n + 1) >> 1);
      for (let i = 0; i < n; i++) out[i >> 1] |= (data[i] & 0xf) << ((i & 1) * 4);
      return out;
    }
  }
}

function valueInfo(v: ValueSpec): ValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: DTYPE[v.type],
        shape: { dim: v.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/** Encodes the model to ONNX protobuf bytes. */
export function buildModel(spec: ModelSpec): Uint8Array {
  const model: ModelProto = {
    irVersion: spec.irVersion ?? (spec.opset >= 21 ? 10 : 8),
    producerName: 'lowbit-test',
    opsetImport: [{ domain: '', version: spec.opset }],
    graph: {
      name: 'g',
      node: spec.nodes.map((n, i) => ({
        name: `${n.op}_${i}`,
        opType: n.op,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([name, i64]) => ({ name, i: i64, type: onnx.AttributeProto.AttributeType.INT })),
      })),
      initializer: (spec.initializers ?? []).map((t) => ({
        name: t.name,
        dataType: DTYPE[t.type],
        dims: t.dims,
        rawData: rawBytes(t.type, t.data),
      })),
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
    },
  };
  return encodeModel(model);
}
