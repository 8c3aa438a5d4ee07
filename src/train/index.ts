// Public API of src/train/: layers, quantizers, optimizers, architectures, the training loop, export.
export * from './gemm.js';
export * from './layer.js';
export * from './quantizers.js';
export * from './dense.js';
export * from './conv.js';
export * from './norm.js';
export * from './activations.js';
export * from './loss.js';
export * from './optim.js';
export * from './network.js';
export * from './arch.js';
export * from './trainer.js';
export * from './state.js';
