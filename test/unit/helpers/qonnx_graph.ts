import { DT, encodeModel, makeNode, makeTensor, makeValueInfo, onnx, type NodeProto, type TensorProto } from '../../../src/model/index.js';

/** The QONNX custom-op domain as Brevitas and FINN write it. */
export const Q = 'qonnx.custom_op.general';

/** A QONNX graph builder for tests (onnx-proto): float initializers, ops in the qonnx domain as Brevitas / FINN write them. */
export class QonnxGraph {
  nodes: NodeProto[] = [];
  inits: TensorProto[] = [];
  /** [tensor, DataType name] written as `finn_datatype` quantization annotations */
  datatypes: [string, string][] = [];
  n = 0;
  c(dims: number[], v: ArrayLike<number>): string {
    const name = `c${this.n++}`;
    this.inits.push(makeTensor(name, DT.FLOAT, dims, v));
    return name;
  }
  op(type: string, ins: string[], attrs: Record<string, number | number[] | { f: number } | { s: string }> = {}, domain = '', strs: Record<string, string> = {}): string {
    const out = `${type.toLowerCase()}_${this.n++}`;
    const node = makeNode(type, ins, [out], out, attrs, domain);
    for (const [k, v] of Object.entries(strs)) node.attribute!.push({ name: k, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(v) });
    this.nodes.push(node);
    return out;
  }
  quant(x: string, scale: string, bits: number, signed: number, narrow: number, mode = 'ROUND'): string {
    return this.op('Quant', [x, scale, this.c([], [0]), this.c([], [bits])], { signed, narrow }, Q, { rounding_mode: mode });
  }
  /** The model bytes: graph input `x` of per-sample shape `inShape`, output `out`. */
  bytes(inShape: number[], out: string): Uint8Array {
    return encodeModel({
      irVersion: 8, producerName: 'test', opsetImport: [{ domain: '', version: 13 }, { domain: Q, version: 1 }],
      graph: {
        name: 'q', node: this.nodes, initializer: this.inits,
        quantizationAnnotation: this.datatypes.map(([tensorName, value]) => ({ tensorName, quantParameterTensorNames: [{ key: 'finn_datatype', value }] })),
        input: [makeValueInfo('x', DT.FLOAT, ['N', ...inShape])], output: [makeValueInfo(out, DT.FLOAT, ['N', 4])] },
    });
  }
}
