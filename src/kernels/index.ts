// Public API of src/kernels/: fast integer and binary GEMM kernels (WebAssembly SIMD128 + TS), each tested
// equal to its naive reference definition in gemm_ref.ts.
export * from './wasm.js';
export * from './gemm_ref.js';
export * from './gemm.js';
export * from './xnor.js';
