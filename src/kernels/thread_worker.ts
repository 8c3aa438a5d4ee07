/**
 * A kernel helper thread (threads.ts): instantiates the calling thread's compiled GEMM kernels over its
 * shared memory, then serves jobs until stopped: for each job it claims column blocks until none is left
 * and runs each through the same code as the calling thread (`columnJob`, `runColumnBlock`).
 */
import { workerData } from 'node:worker_threads';
import { serveJobs, type HelperData } from './threads.js';
import { columnJob, runColumnBlock, useGemmShared, type GemmShared } from './gemm_wasm.js';

const data = workerData as HelperData;
useGemmShared(data.shared as GemmShared);
serveJobs(data, (args) => {
  const job = columnJob(args);
  return (b) => runColumnBlock(job, b);
});
