import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { InputError, ToolError } from '../util/errors.js';
import { startWorkerThread } from '../workers/pool.js';

/**
 * The GEMM kernels on several cores, synchronously. The WebAssembly kernels (gemm_wasm.ts) run over one
 * shared WebAssembly.Memory: the calling thread converts A into it once, then the output columns are cut
 * into blocks (`ColumnJob`, gemm_wasm.ts) that the calling thread and the helper threads claim one at a
 * time from a shared counter; a block converts its own rows of the transposed W into the shared memory and
 * runs the one-thread kernel on them, writing its columns of every output row. Output (m, n) depends only
 * on row m of A and column n of W, and every block runs the same kernel on the same operands, so the
 * result is the one-thread result bit for bit, whichever thread ran which block. Dynamic claiming makes a
 * late or descheduled helper harmless (the caller claims the rest); a helper that wakes after every block is
 * claimed does nothing. The caller waits in `Atomics.wait` until every claimed block is finished, so
 * `gemmInt`/`gemmXnor` stay synchronous for every caller (the integer reference, the batched accelerator
 * model). Helpers start on the first GEMM large enough (`minWork`), once, unreferenced (they never keep
 * the process alive), each instantiating the caller's compiled kernels over the caller's shared memory.
 */

/**
 * Smallest GEMM (multiply-adds; binary: bit-MACs) worth splitting, per kernel: below it posting, waking and
 * the shared copy of W cost more than the second thread saves (measured: bench/gemm.bench.ts "split
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

/** A split GEMM's job as posted to the helpers: the blocks' arguments (gemm_wasm.ts) and its claim tag. */
export interface BlockJob<A> {
  args: A;
  blocks: number;
  tag: number;
}

// control words in a shared Int32Array (thread_worker.ts): helpers ready; the claim word (job tag << TAG_SHIFT
// | next block); blocks finished; blocks failed
export const READY = 0;
export const CLAIM = 1;
export const FINISHED = 2;
export const FAILED = 3;
const TAG_SHIFT = 11;
/** the claim word's low bits while a job is posted but its operands are not ready yet (the gate) */
const GATE = (1 << TAG_SHIFT) - 1;
/** most blocks per job (below GATE) */
export const MAX_BLOCKS = GATE - 1;
const ctl = new Int32Array(new SharedArrayBuffer(4 * 4));
/** the helpers, each with the port on which it reports a failed block's message */
const helpers: { worker: Worker; errors: MessagePort }[] = [];
const BOOT_MS = 120_000;
/** longest wait for the next block to finish (one block is 1/8 of a GEMM or less) before giving up */
const STALL_MS = 120_000;
let lastTag = 0;

/**
 * The next unclaimed block of job `tag` (0..blocks-1), or -1 when all are claimed or the job is over: one
 * compare-and-swap on the claim word, so each block goes to exactly one thread. While the job's gate is
 * closed (the caller still converting A), waits for it to open.
 */
export function claimBlock(ctlWords: Int32Array, tag: number, blocks: number): number {
  for (;;) {
    const w = Atomics.load(ctlWords, CLAIM);
    const b = w & GATE;
    if (w >>> TAG_SHIFT !== tag) return -1;
    if (b === GATE) Atomics.wait(ctlWords, CLAIM, w, STALL_MS);
    else if (b >= blocks) return -1;
    else if (Atomics.compareExchange(ctlWords, CLAIM, w, w + 1) === w) return b;
  }
}

/** Marks one block finished (after running it, failed or not) and wakes the caller. */
export function finishBlock(ctlWords: Int32Array): void {
  Atomics.add(ctlWords, FINISHED, 1);
  Atomics.notify(ctlWords, FINISHED);
}

/** Starts helpers until there are `n`, and waits (at most BOOT_MS) until each has loaded the kernels. */
function ensureHelpers(n: number, shared: unknown): void {
  while (helpers.length < n) {
    const { port1, port2 } = new MessageChannel();
    port1.unref();
    const url = new URL(import.meta.url.endsWith('.ts') ? './thread_worker.ts' : './thread_worker.js', import.meta.url);
    const worker = startWorkerThread(url, { ctl, errors: port2, shared }, [port2]);
    worker.unref();
    helpers.push({ worker, errors: port1 });
  }
  const t0 = Date.now();
  for (let r = Atomics.load(ctl, READY); r < n; r = Atomics.load(ctl, READY)) {
    if (Date.now() - t0 > BOOT_MS || Atomics.wait(ctl, READY, r, BOOT_MS) === 'timed-out') {
      throw new ToolError(`kernel threads: ${n - r} of ${n} helper threads did not start within ${BOOT_MS / 1000} s; run with --threads 1`);
    }
  }
}

/**
 * Runs blocks 0..blocks-1 of a GEMM on this thread (`run(b)`) and on `t - 1` helpers (which run the same
 * blocks of `args`, thread_worker.ts), each block claimed once; returns when every block is finished.
 * The job is posted first and `prepare()` (the caller's part that every block needs: converting A) runs
 * while the helpers wake, behind the closed gate. `shared` is what helpers instantiate the kernels from
 * (gemm_wasm.ts `GemmShared`: compiled module and shared memory), handed to them when they start.
 */
export function parallelBlocks<A>(t: number, blocks: number, args: A, shared: unknown, prepare: () => void, run: (b: number) => void): void {
  if (blocks > MAX_BLOCKS) throw new Error(`parallelBlocks: ${blocks} blocks; at most ${MAX_BLOCKS}`);
  ensureHelpers(t - 1, shared);
  const tag = (lastTag = (lastTag + 1) & ((1 << (31 - TAG_SHIFT)) - 1));
  Atomics.store(ctl, FINISHED, 0);
  Atomics.store(ctl, FAILED, 0);
  Atomics.store(ctl, CLAIM, (tag << TAG_SHIFT) | GATE);
  const job: BlockJob<A> = { args, blocks, tag };
  for (let h = 0; h < t - 1; h++) helpers[h]!.worker.postMessage(job);
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
  for (let b = claimBlock(ctl, tag, blocks); b >= 0; b = claimBlock(ctl, tag, blocks)) {
    try {
      run(b);
    } catch (e) {
      localError ??= e;
    }
    finishBlock(ctl);
  }
  for (let f = Atomics.load(ctl, FINISHED); f < blocks; f = Atomics.load(ctl, FINISHED)) {
    if (Atomics.wait(ctl, FINISHED, f, STALL_MS) === 'timed-out' && Atomics.load(ctl, FINISHED) === f) {
      throw new ToolError(`kernel threads: no column block finished in ${STALL_MS / 1000} s (${f} of ${blocks} done); run with --threads 1`);
    }
  }
  if (localError !== undefined) throw localError;
  if (Atomics.load(ctl, FAILED) > 0) {
    const failed = helpers.map((h) => receiveMessageOnPort(h.errors)?.message as string | undefined).filter((m) => m !== undefined);
    throw new Error(`kernel thread failed: ${failed[0] ?? 'no message'}`);
  }
}

// the shared copy of an operand the helpers read (W), kept from one GEMM to the next and grown when too
// small: fresh SharedArrayBuffers per GEMM fault in new pages and, once collected, unmap them under the
// other thread (TLB shoot-downs)
let arena = new SharedArrayBuffer(0);

type SharedView = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array;
const isNumberView = (x: unknown): x is SharedView =>
  ArrayBuffer.isView(x) && !(x instanceof DataView) && !(x instanceof BigInt64Array) && !(x instanceof BigUint64Array);

/**
 * `x[0..len)` where another thread can read it: `x` itself when it is a view of a SharedArrayBuffer, else
 * a copy (of `x`'s element type; Float64 for plain arrays) in the arena, valid until the next call.
 */
export function sharedCopy(x: ArrayLike<number>, len: number): SharedView {
  if (isNumberView(x) && x.buffer instanceof SharedArrayBuffer) return x;
  const Ctor = (isNumberView(x) ? x.constructor : Float64Array) as Float64ArrayConstructor;
  const bytes = len * Ctor.BYTES_PER_ELEMENT;
  if (bytes > arena.byteLength) arena = new SharedArrayBuffer(Math.max(2 * arena.byteLength, Math.ceil(bytes / 65536) * 65536));
  const s = new Ctor(arena, 0, len);
  if (isNumberView(x)) s.set((x as Float64Array).subarray(0, len));
  else for (let i = 0; i < len; i++) s[i] = x[i]!;
  return s;
}

/** Number of helper threads started so far. */
export function kernelHelpers(): number {
  return helpers.length;
}

/** Terminates the helpers (tests; a process exits without it, the helpers are unreferenced). */
export async function stopKernelThreads(): Promise<void> {
  const all = helpers.splice(0);
  await Promise.all(all.map((h) => (h.errors.close(), h.worker.terminate())));
  Atomics.store(ctl, READY, 0);
}
