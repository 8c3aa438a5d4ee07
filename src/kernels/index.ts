// Public API of src/kernels/: fast integer and binary GEMM kernels (WebAssembly SIMD128 + TS), each tested
// equal to its naive reference definition.
export * from './wasm.js';
