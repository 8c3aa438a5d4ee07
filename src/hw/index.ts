export * from './design.js';
export * from './presets.js';
export * from './requantizer.js';
export * from './requantizer_model.js';
export * from './xnor_popcount.js';
export * from './xnor_popcount_model.js';
export * from './bit_serial.js';
