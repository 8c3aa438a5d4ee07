/**
 * A kernel helper thread (threads.ts): instantiates the calling thread's compiled GEMM kernels over its
 * shared memory, then for each job it is posted claims column blocks until none is left, runs each through the
 * same code as the calling thread (`runColumnBlock`) and counts it finished; a failed block's message goes
 * back on its own port before the block is counted.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { claimBlock, finishBlock, FAILED, READY, type BlockJob } from './threads.js';
import { runColumnBlock, useGemmShared, type ColumnJob, type GemmShared } from './gemm_wasm.js';

const { ctl, errors, shared } = workerData as { ctl: Int32Array; errors: MessagePort; shared: GemmShared };
if (parentPort === null) throw new Error('src/kernels/thread_worker.ts must run as a worker thread');
useGemmShared(shared);
parentPort.on('message', (job: BlockJob<ColumnJob>) => {
  for (let b = claimBlock(ctl, job.tag, job.blocks); b >= 0; b = claimBlock(ctl, job.tag, job.blocks)) {
    try {
      runColumnBlock(job.args, b);
    } catch (e) {
      Atomics.add(ctl, FAILED, 1);
      errors.postMessage(e instanceof Error ? e.message : String(e));
    } finally {
      finishBlock(ctl);
    }
  }
});
Atomics.add(ctl, READY, 1);
Atomics.notify(ctl, READY);
