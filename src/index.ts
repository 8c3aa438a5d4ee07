/**
 * lowbit — a TypeScript toolkit for low-precision neural-network hardware.
 * Layers, lowest first (a layer imports only from the ones before it):
 * util, arith, model, quant, train, hw, rtl, report.
 */
export * from './util/index.js';
export * from './data/index.js';
export * from './arith/index.js';
export * from './model/index.js';
export * from './quant/index.js';
export * from './train/index.js';
export * from './kernels/index.js';
export * from './hw/index.js';
export * from './rtl/index.js';
export * from './report/index.js';
