// Public API of src/train/: layers, quantizers, optimizers, architectures, the training loop, export.
// (The layer interface is exported as TrainLayer: `Layer` is the QuantizedModel layer type in src/model.)
export { gemmNT, gemmNN, gemmTN, gemmNTJs, gemmNNJs, gemmTNJs, gemmRef, setGemmBackend, gemmBackend, type GemmBackend } from './gemm.js';
export { wasmGemmNT } from './gemm_wasm.js';
export { param, grow, type Layer as TrainLayer, type Param } from './layer.js';
export * from './quantizers.js';
export * from './fake_quant.js';
export { Dense } from './dense.js';
export { Conv2d, MaxPool2d as MaxPool2dTrain, Flatten as FlattenTrain } from './conv.js';
export { BatchNorm } from './norm.js';
export { Activation, Dropout } from './activations.js';
export { softmaxCrossEntropy, argmaxRows as argmaxLogits } from './loss.js';
export * from './optim.js';
export { Network, Scale } from './network.js';
export * from './arch.js';
export * from './trainer.js';
export * from './state.js';
export * from './export.js';
