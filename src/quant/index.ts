// Public API of src/quant/: quantizers, calibration, folding, post-training quantization, compression.
export * from './uniform.js';
export * from './binarize.js';
export * from '../arith/pow2.js';
export * from './calibration.js';
export * from './fold.js';
export * from './scheme.js';
export * from './segments.js';
export * from './ptq_layer.js';
export * from './ptq.js';
export * from './evaluate.js';
export * from './huffman.js';
export * from '../kernels/kmeans.js';
export * from './compress.js';
