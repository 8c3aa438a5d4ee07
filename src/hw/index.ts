export * from './design.js';
export * from './presets.js';
