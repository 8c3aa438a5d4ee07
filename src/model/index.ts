// Public API of src/model/.
export {
  SCHEMA_VERSION, LAYER_KINDS,
  type TensorFormat, type ActQuant, type WeightTensor, type Scaling, type OutputStage, type QuantizeLayer, type DenseLayer,
  type Conv2dLayer, type MaxPool2dLayer, type FlattenLayer, type ClampLayer, type Layer, type LayerKind, type Provenance,
  type QuantizedModel, type AddLayer, type AddOperand, type GlobalAvgPoolLayer,
} from './types.js';
export * from './checkpoint.js';
export { fp32Inference, runLayer, denseF32, conv2dF32, maxpool2dF32, type LayerVisitor } from './fp32_infer.js';
export * from './shapes.js';
export * from './validate.js';
export * from './memimage.js';
export * from './blob.js';
export * from './format.js';
export * from './stages.js';
export { integerInference, runLayerInt, maxpool2dInt, addInt, globalAvgPoolInt, inputQuant, argmaxRowsInt, ortU8S8Saturates, dequantizeOutput, type InferOptions, type InferResult } from './infer.js';
export { denseAcc, conv2dAcc } from './mac.js';
export * from './onnx/index.js';
