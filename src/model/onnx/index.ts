export { importOnnx } from './import.js';
export type { ImportOptions } from './import_ops.js';
export { exportOnnx } from './export.js';
export { exportQonnx } from './export_qonnx.js';
export { onnx, decodeModel, encodeModel, readTensor, makeTensor, makeNode, makeValueInfo, DT, type ModelProto, type NodeProto, type TensorProto } from './proto.js';
