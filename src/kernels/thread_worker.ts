/**
 * A kernel helper thread (threads.ts): runs the row blocks it is posted through the same single-threaded
 * kernels as the calling thread, counts each block done in the shared control words and wakes the caller;
 * a failed block's message goes back on its own port before the block is counted.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { DONE, FAILED, READY, type RowJob } from './threads.js';
import { gemmIntRows } from './gemm.js';
import { gemmXnorRows } from './xnor.js';

const { ctl, errors } = workerData as { ctl: Int32Array; errors: MessagePort };
if (parentPort === null) throw new Error('src/kernels/thread_worker.ts must run as a worker thread');
parentPort.on('message', (job: RowJob) => {
  try {
    if (job.kernel === 'int') gemmIntRows(job.args, job.m0, job.m1);
    else gemmXnorRows(job.args, job.m0, job.m1);
  } catch (e) {
    Atomics.add(ctl, FAILED, 1);
    errors.postMessage(e instanceof Error ? e.message : String(e));
  } finally {
    Atomics.add(ctl, DONE, 1);
    Atomics.notify(ctl, DONE);
  }
});
Atomics.add(ctl, READY, 1);
Atomics.notify(ctl, READY);
