export * from './errors.js';
export * from './fs.js';
export * from './rng.js';
export * from './npy.js';
export * from './suggest.js';
