export * from './space.js';
export * from './sweep.js';
export * from './pareto.js';
export * from './front.js';
export * from './evaluate.js';
