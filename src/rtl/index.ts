// Public API of src/rtl/: Verilator co-simulation (docs/verify.md).
export * from './unit.js';
export * from './harness.js';
export * from './build.js';
export * from './run.js';
export * from './inproc.js';
export * from './vcd.js';
export * from './compare.js';
export * from './report.js';
export * from './verify.js';
export * from './batch.js';
export * from './mutate.js';
export * from './mutations.js';
export { UNITS, unitNames } from './units/index.js';
export { repoRoot, resolveRepoPath } from './paths.js';
export * from './accel_top.js';
export * from './accel_tx.js';
