import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { InputError, ToolError } from '../util/errors.js';
import { startWorkerThread } from '../workers/pool.js';

/**
 * The GEMM kernels on several cores, synchronously. The WebAssembly kernels (gemm_wasm.ts) run over one
 * shared WebAssembly.Memory: the calling thread stages the operands into it, then the output columns are
 * cut into blocks (`ColumnJob`, gemm_wasm.ts) that the calling thread and the helper threads claim one at
 * a time from a shared counter; a block converts its own rows of the transposed W and runs the one-thread
 * kernel on them, writing its columns of every output row. Output (m, n) depends only on row m of A and
 * column n of W, and every block runs the same kernel on the same operands, so the result is the
 * one-thread result bit for bit, whichever thread ran which block. Dynamic claiming makes a late or
 * descheduled helper harmless (the caller claims the rest); a helper that wakes after every block is
 * claimed does nothing.
 *
 * No messages per GEMM: a job is a handful of numbers (`jobArgs`, shared) published by bumping the job
 * word; helpers wait on that word (spinning `HELPER_SPIN_MS` after each job, then parked in
 * `Atomics.wait`) and the caller wakes them with `Atomics.notify`. The caller waits for the last block the
 * same way (`CALLER_SPIN_MS`), so `gemmInt`/`gemmXnor` stay synchronous for every caller (the integer
 * reference, the batched accelerator model). Helpers start on the first GEMM large enough (`minWork`),
 * once, unreferenced (they never keep the process alive), each instantiating the caller's compiled kernels
 * over the caller's shared memory; the caller does not wait for them to boot (they join the jobs posted
 * once they are ready).
 */

/**
 * Smallest GEMM (multiply-adds; binary: bit-MACs) worth splitting, per kernel: below it waking the helpers
 * and the shorter blocks cost more than the second thread saves (measured: bench/gemm.bench.ts "split
 * threshold", docs/architecture.md "Kernels on all cores").
 */
export const MIN_PARALLEL_WORK = { int: 1 << 23, xnor: 1 << 27 } as const;
export type KernelKind = keyof typeof MIN_PARALLEL_WORK;

let threads = 1;
let minWork: Record<KernelKind, number> = { ...MIN_PARALLEL_WORK };

/** Number of threads the kernels may use (1: the calling thread only); `minWork` (every kernel) for tests. */
export function setKernelThreads(n: number, opts: { minWork?: number } = {}): void {
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new InputError(`--threads: got ${n}; allowed: an integer from 1 to 1024 (default: all ${availableParallelism()} cores)`);
  threads = n;
  minWork = opts.minWork === undefined ? { ...MIN_PARALLEL_WORK } : { int: opts.minWork, xnor: opts.minWork };
}

export function kernelThreads(): number {
  return threads;
}

/** Threads for a `kind` GEMM of `work` multiply-adds cut into `blocks` blocks: 1 when small or single-threaded. */
export function threadsFor(kind: KernelKind, blocks: number, work: number): number {
  return work < minWork[kind] ? 1 : Math.max(1, Math.min(threads, blocks));
}

// control words in a shared Int32Array: helpers ready; the job word (the current job's tag; helpers wait on
// it); the job's thread count (helper h joins when h < it) and block count; the claim word (job tag <<
// TAG_SHIFT | next block); blocks finished; blocks failed; stop (helpers leave); blocks helpers ran and jobs
// they woke for (all jobs)
const READY = 0;
const JOB = 1;
const THREADS = 2;
const BLOCKS = 3;
const CLAIM = 4;
const FINISHED = 5;
const FAILED = 6;
const STOP = 7;
const HELPED = 8;
const WOKE = 9;
const TAG_SHIFT = 11;
/** the claim word's low bits while a job is posted but its operands are not ready yet (the gate) */
const GATE = (1 << TAG_SHIFT) - 1;
/** most blocks per job (below GATE) */
export const MAX_BLOCKS = GATE - 1;
/** most numbers in a job's arguments */
export const MAX_JOB_ARGS = 32;
// the calling thread's; a helper's module instance takes the caller's (serveJobs)
let ctl: Int32Array = new Int32Array(new SharedArrayBuffer(10 * 4));
let jobArgs: Float64Array = new Float64Array(new SharedArrayBuffer(MAX_JOB_ARGS * 8));
/**
 * How long a thread spins on a shared word before parking in `Atomics.wait`: a parked thread's vCPU halts,
 * and waking it took 0.1-0.2 ms on the 2-core VM (a 512^3 int8 GEMM on two threads is ~2.2 ms). Helpers
 * spin HELPER_SPIN_MS after each job for the next one (back-to-back GEMMs: the layers of a batch) and
 * while a job's gate is closed (the caller staging operands); the caller spins CALLER_SPIN_MS for the
 * helpers' last blocks (guided blocks: usually one small block).
 */
const HELPER_SPIN_MS = 0.5;
const CALLER_SPIN_MS = 2;
/** the helpers, each with the port on which it reports a failed block's message */
const helpers: { worker: Worker; errors: MessagePort }[] = [];
const BOOT_MS = 120_000;
/** longest wait for the next block to finish (one block is 1/4 of a GEMM or less) before giving up */
const STALL_MS = 120_000;
let lastTag = 0;

/**
 * Waits until `words[i]` differs from `v` and returns the new value: spins for `spinMs`, then parks in
 * `Atomics.wait`; returns `v` itself when it has not changed after `timeoutMs` parked.
 */
function awaitChange(words: Int32Array, i: number, v: number, spinMs: number, timeoutMs: number): number {
  const end = performance.now() + spinMs;
  for (let n = 0; ; n++) {
    const w = Atomics.load(words, i);
    if (w !== v) return w;
    if ((n & 63) === 63 && performance.now() > end) break;
  }
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const left = deadline - performance.now();
    if (left <= 0) return v;
    Atomics.wait(words, i, v, left);
    const w = Atomics.load(words, i);
    if (w !== v) return w;
  }
}

/**
 * The next unclaimed block of job `tag` (0..blocks-1), or -1 when all are claimed or the job is over: one
 * compare-and-swap on the claim word, so each block goes to exactly one thread. While the job's gate is
 * closed (the caller still staging the operands), waits for it to open.
 */
function claimBlock(tag: number, blocks: number): number {
  for (;;) {
    const w = Atomics.load(ctl, CLAIM);
    const b = w & GATE;
    if (w >>> TAG_SHIFT !== tag) return -1;
    if (b === GATE) awaitChange(ctl, CLAIM, w, HELPER_SPIN_MS, STALL_MS);
    else if (b >= blocks) return -1;
    else if (Atomics.compareExchange(ctl, CLAIM, w, w + 1) === w) return b;
  }
}

/** Marks one block finished (after running it, failed or not) and wakes the caller. */
function finishBlock(): void {
  Atomics.add(ctl, FINISHED, 1);
  Atomics.notify(ctl, FINISHED);
}

/** What a helper thread is started with (thread_worker.ts). */
export interface HelperData {
  ctl: Int32Array;
  jobArgs: Float64Array;
  /** this helper's number, 1.. (the caller is 0): it joins jobs of more than `index` threads */
  index: number;
  errors: MessagePort;
  /** what the kernels instantiate from (gemm_wasm.ts `GemmShared`) */
  shared: unknown;
}

/**
 * A helper thread's life (thread_worker.ts): for every job posted (until stopped), `start(args)` gives the
 * job's block runner, and the helper claims blocks until none is left, running each and counting it
 * finished; a failed block's message goes back on `errors` before the block is counted.
 */
export function serveJobs(d: HelperData, start: (args: Float64Array) => (b: number) => void): void {
  ({ ctl, jobArgs } = d);
  let seen = Atomics.load(ctl, JOB);
  Atomics.add(ctl, READY, 1);
  Atomics.notify(ctl, READY);
  for (;;) {
    const tag = (seen = awaitChange(ctl, JOB, seen, HELPER_SPIN_MS, Infinity));
    if (Atomics.load(ctl, STOP) !== 0) return;
    Atomics.add(ctl, WOKE, 1);
    if (d.index >= Atomics.load(ctl, THREADS)) continue;
    const blocks = Atomics.load(ctl, BLOCKS);
    const args = jobArgs.slice();
    // the arguments are the job's if the job word did not move meanwhile (a claim then checks the tag)
    if (Atomics.load(ctl, JOB) !== tag) continue;
    let run: ((b: number) => void) | undefined;
    for (let b = claimBlock(tag, blocks); b >= 0; b = claimBlock(tag, blocks)) {
      try {
        run ??= start(args);
        run(b);
        Atomics.add(ctl, HELPED, 1);
      } catch (e) {
        Atomics.add(ctl, FAILED, 1);
        d.errors.postMessage(e instanceof Error ? e.message : String(e));
      } finally {
        finishBlock();
      }
    }
  }
}

/** why a helper failed to start (its 'error' event), reported by the next GEMM */
let bootError: string | undefined;

/**
 * Starts helpers until there are `n`, without waiting for them: a helper takes part in the jobs posted
 * after it has loaded the kernels (booting one took ~80 ms from dist/, ~350 ms under tsx; the GEMMs
 * meanwhile run on the calling thread). A helper that failed to start is an error on the next GEMM.
 */
function ensureHelpers(n: number, shared: unknown): void {
  if (bootError !== undefined) throw new ToolError(`kernel threads: a helper thread failed: ${bootError}; run with --threads 1`);
  while (helpers.length < n) {
    const { port1, port2 } = new MessageChannel();
    port1.unref();
    const url = new URL(import.meta.url.endsWith('.ts') ? './thread_worker.ts' : './thread_worker.js', import.meta.url);
    const data: HelperData = { ctl, jobArgs, index: helpers.length + 1, errors: port2, shared };
    const worker = startWorkerThread(url, data, [port2]);
    worker.on('error', (e: Error) => (bootError ??= e.message));
    worker.unref();
    helpers.push({ worker, errors: port1 });
  }
}

/**
 * Waits (at most BOOT_MS) until every helper started so far has loaded the kernels and takes part in the
 * next job: for benchmarks and tests that measure or check the threads at work from the first GEMM on.
 */
export function awaitKernelHelpers(): void {
  const n = helpers.length;
  const t0 = Date.now();
  for (let r = Atomics.load(ctl, READY); r < n; r = Atomics.load(ctl, READY)) {
    if (Date.now() - t0 > BOOT_MS || Atomics.wait(ctl, READY, r, BOOT_MS) === 'timed-out') {
      throw new ToolError(`kernel threads: ${n - r} of ${n} helper threads did not start within ${BOOT_MS / 1000} s; run with --threads 1`);
    }
  }
}

/**
 * Runs blocks 0..blocks-1 of a GEMM on this thread (`run(b)`) and on `t - 1` helpers (which run the same
 * blocks from `args`, thread_worker.ts), each block claimed once; returns when every block is finished.
 * The job is posted first and `prepare()` (the caller's part that every block needs: staging the
 * operands) runs while the helpers wake, behind the closed gate. `shared` is what helpers instantiate the
 * kernels from (gemm_wasm.ts `GemmShared`: compiled module and shared memory), handed to them when they start.
 */
export function parallelBlocks(t: number, blocks: number, args: readonly number[], shared: unknown, prepare: () => void, run: (b: number) => void): void {
  if (blocks > MAX_BLOCKS) throw new Error(`parallelBlocks: ${blocks} blocks; at most ${MAX_BLOCKS}`);
  if (args.length > MAX_JOB_ARGS) throw new Error(`parallelBlocks: ${args.length} job arguments; at most ${MAX_JOB_ARGS}`);
  ensureHelpers(t - 1, shared);
  const tag = (lastTag = (lastTag % ((1 << (31 - TAG_SHIFT)) - 1)) + 1); // 1.., never 0 (no job yet)
  Atomics.store(ctl, FINISHED, 0);
  Atomics.store(ctl, FAILED, 0);
  jobArgs.set(args);
  Atomics.store(ctl, THREADS, t);
  Atomics.store(ctl, BLOCKS, blocks);
  Atomics.store(ctl, CLAIM, (tag << TAG_SHIFT) | GATE);
  Atomics.store(ctl, JOB, tag);
  Atomics.notify(ctl, JOB);
  try {
    prepare();
  } catch (e) {
    // every block "claimed", none run: the helpers leave the job, nothing is waited for
    Atomics.store(ctl, CLAIM, (tag << TAG_SHIFT) | blocks);
    Atomics.notify(ctl, CLAIM);
    throw e;
  }
  Atomics.store(ctl, CLAIM, tag << TAG_SHIFT);
  Atomics.notify(ctl, CLAIM);
  let localError: unknown;
  for (let b = claimBlock(tag, blocks); b >= 0; b = claimBlock(tag, blocks)) {
    try {
      run(b);
    } catch (e) {
      localError ??= e;
    }
    finishBlock();
  }
  for (let f = Atomics.load(ctl, FINISHED); f < blocks;) {
    const g = awaitChange(ctl, FINISHED, f, CALLER_SPIN_MS, STALL_MS);
    if (g === f) throw new ToolError(`kernel threads: no column block finished in ${STALL_MS / 1000} s (${f} of ${blocks} done); run with --threads 1`);
    f = g;
  }
  if (localError !== undefined) throw localError;
  if (Atomics.load(ctl, FAILED) > 0) {
    const failed = helpers.map((h) => receiveMessageOnPort(h.errors)?.message as string | undefined).filter((m) => m !== undefined);
    throw new Error(`kernel thread failed: ${failed[0] ?? 'no message'}`);
  }
}

/** Blocks the helper threads have run so far (all jobs): whether they take part. */
export function helperBlocks(): number {
  return Atomics.load(ctl, HELPED);
}

/** Jobs the helper threads have seen (each helper counts each job it woke or spun for). */
export function helperWakes(): number {
  return Atomics.load(ctl, WOKE);
}

/** Number of helper threads started so far. */
export function kernelHelpers(): number {
  return helpers.length;
}

/** Stops the helpers (tests; a process exits without it, the helpers are unreferenced). */
export async function stopKernelThreads(): Promise<void> {
  const all = helpers.splice(0);
  Atomics.store(ctl, STOP, 1);
  Atomics.store(ctl, JOB, -1); // no job's tag: every helper wakes, sees STOP and returns
  Atomics.notify(ctl, JOB);
  await Promise.all(all.map((h) => (h.errors.close(), h.worker.terminate())));
  Atomics.store(ctl, STOP, 0);
  Atomics.store(ctl, JOB, 0);
  Atomics.store(ctl, READY, 0);
  bootError = undefined;
}
