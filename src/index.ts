/**
 * lowbit — a TypeScript toolkit for low-precision neural-network hardware.
 * Layers, lowest first (a layer imports only from the ones before it):
 * util, data, arith, kernels, model, quant, train, hw, rtl, synth, estimate, explore, report, flows, cli.
 */
export * from './util/index.js';
export * from './data/index.js';
export * from './arith/index.js';
export * from './kernels/index.js';
export * from './model/index.js';
export * from './quant/index.js';
export * from './train/index.js';
export * from './hw/index.js';
export * from './rtl/index.js';
export * from './synth/yosys.js';
export * from './estimate/index.js';
export * from './explore/index.js';
export * from './report/index.js';
export { runModel, type RunReport, type RunOptions, type Disagreement } from './flows/run.js';
export { runDemo, SHIPPED } from './flows/demo.js';
