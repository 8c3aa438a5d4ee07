// Public API of src/model/ (filled in as the layer lands).
export * from './types.js';
export * from './checkpoint.js';
export { fp32Inference, runLayer, denseF32, conv2dF32, maxpool2dF32, argmaxRows, type LayerVisitor } from './fp32_infer.js';
