// Public API of src/model/ (filled in as the layer lands).
export * from './types.js';
