/**
 * A kernel helper thread (threads.ts): instantiates the GEMM kernels over the calling thread's shared
 * memory, then for each job it is posted claims column blocks until none is left, runs each through the
 * same code as the calling thread (`runColumnBlock`) and counts it finished; a failed block's message goes
 * back on its own port before the block is counted.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { claimBlock, finishBlock, FAILED, READY, type BlockJob } from './threads.js';
import { runColumnBlock, useGemmMemory, type ColumnJob } from './gemm_wasm.js';
import type { WasmMemory } from './wasm.js';

const { ctl, errors, memory } = workerData as { ctl: Int32Array; errors: MessagePort; memory: WasmMemory };
if (parentPort === null) throw new Error('src/kernels/thread_worker.ts must run as a worker thread');
useGemmMemory(memory);
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
