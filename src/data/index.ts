// Public API of src/data/: IDX files, MNIST-shaped datasets, seeded splits and mini-batches.
export * from './idx.js';
export * from './mnist.js';
export * from './batches.js';
export * from './augment.js';
