export * from './modes.js';
export * from './int.js';
export * from './shift.js';
export * from './requant.js';
export * from './binary.js';
export * from './fixed.js';
export * from './fixed_batch.js';
export * from './minifloat.js';
