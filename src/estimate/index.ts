export * from './energy.js';
export * from './memory.js';
export * from './network.js';
export * from './area.js';
export * from './accumulators.js';
