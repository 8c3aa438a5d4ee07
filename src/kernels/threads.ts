import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { InputError, ToolError } from '../util/errors.js';
import { startWorkerThread } from '../workers/pool.js';
import type { IntRowsArgs } from './gemm.js';
import type { XnorRowsArgs } from './xnor.js';

/**
 * The GEMM kernels on several cores, synchronously. Output rows are independent (row m of Y = A W reads
 * row m of A, all of W and the bias), so an M-row GEMM splits into row blocks [m0, m1): the calling thread
 * runs the first block on the caller's own arrays and each helper thread another, every one through the
 * same single-threaded kernel (`gemmIntRows` / `gemmXnorRows`), so the result is the one-thread result bit
 * for bit. The helpers' rows of A, W, the bias and their rows of the output live in a shared scratch arena
 * (`sharedCopy`/`sharedOut`) kept from one GEMM to the next: fresh SharedArrayBuffers per GEMM made every
 * block fault in new pages and, once collected, unmap them under the other thread (TLB shoot-downs); a
 * 512 x 4096 x 1024 binary block then took 26 ms of CPU beside a helper instead of 17 ms alone. The caller
 * posts each helper its block and blocks in `Atomics.wait` until all are done, so `gemmInt`/`gemmXnor` stay
 * synchronous for every caller (the integer reference, the batched accelerator model). Helpers start on the
 * first GEMM large enough (`minWork` multiply-adds), once, unreferenced (they never keep the process
 * alive), each with its own wasm instance.
 */

/** Default smallest GEMM (multiply-adds) worth splitting: below it posting and waking cost more. */
export const MIN_PARALLEL_WORK = 1 << 22;

let threads = 1;
let minWork = MIN_PARALLEL_WORK;
/** a split GEMM is running: a GEMM started inside its calling thread's block stays on that thread */
let busy = false;

/** Number of threads the kernels may use (1: the calling thread only); `minWork` for tests. */
export function setKernelThreads(n: number, opts: { minWork?: number } = {}): void {
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new InputError(`--threads: got ${n}; allowed: an integer from 1 to 1024 (default: all ${availableParallelism()} cores)`);
  threads = n;
  minWork = opts.minWork ?? MIN_PARALLEL_WORK;
}

export function kernelThreads(): number {
  return threads;
}

/** Threads for a GEMM of `rows` output rows and `work` multiply-adds: 1 when small or single-threaded. */
export function threadsFor(rows: number, work: number): number {
  return work < minWork || busy ? 1 : Math.max(1, Math.min(threads, rows));
}

/** A row block's job, as posted to a helper: the kernel's name and its (shared) arguments. */
export type RowJob = ({ kernel: 'int'; args: IntRowsArgs } | { kernel: 'xnor'; args: XnorRowsArgs }) & { m0: number; m1: number };

// control words in a shared Int32Array: helpers ready, blocks done, blocks failed (thread_worker.ts)
export const READY = 0;
export const DONE = 1;
export const FAILED = 2;
const ctl = new Int32Array(new SharedArrayBuffer(3 * 4));
/** the helpers, each with the port on which it reports a failed block's message */
const helpers: { worker: Worker; errors: MessagePort }[] = [];
const BOOT_MS = 120_000;

/** Starts helpers until there are `n`, and waits (at most BOOT_MS) until each has loaded the kernels. */
function ensureHelpers(n: number): void {
  while (helpers.length < n) {
    const { port1, port2 } = new MessageChannel();
    port1.unref();
    const url = new URL(import.meta.url.endsWith('.ts') ? './thread_worker.ts' : './thread_worker.js', import.meta.url);
    const worker = startWorkerThread(url, { ctl, errors: port2 }, [port2]);
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
 * The row blocks of an M-row GEMM over `t` threads: [0, r), [r, 2r), ... with r = ceil(M / t) rounded up to
 * a multiple of `align` (the kernel's tile height), the last block shorter; the first is the caller's.
 */
export function rowBlocks(M: number, t: number, align: number): [number, number][] {
  const per = Math.ceil(Math.ceil(M / t) / align) * align;
  const blocks: [number, number][] = [];
  for (let m0 = 0; m0 < M; m0 += per) blocks.push([m0, Math.min(M, m0 + per)]);
  return blocks;
}

/**
 * Runs `local(m1)` (rows [0, m1), the first block) here and posts the other blocks (`job(m0, m1)`, whose
 * arguments the caller carved from the arena) to helpers; returns when every block is done. The arena is
 * free for the next split GEMM afterwards (the caller still reads its views until then).
 */
export function parallelRows(blocks: [number, number][], job: (m0: number, m1: number) => RowJob, local: (m1: number) => void): void {
  try {
    ensureHelpers(blocks.length - 1);
  } finally {
    top = 0;
  }
  busy = true;
  Atomics.store(ctl, DONE, 0);
  Atomics.store(ctl, FAILED, 0);
  for (let b = 1; b < blocks.length; b++) helpers[b - 1]!.worker.postMessage(job(...blocks[b]!));
  let localError: unknown;
  try {
    local(blocks[0]![1]);
  } catch (e) {
    localError = e;
  }
  for (let d = Atomics.load(ctl, DONE); d < blocks.length - 1; d = Atomics.load(ctl, DONE)) Atomics.wait(ctl, DONE, d);
  busy = false;
  if (localError !== undefined) throw localError;
  const failed = helpers.map((h) => receiveMessageOnPort(h.errors)?.message as string | undefined).filter((m) => m !== undefined);
  if (failed.length > 0 || Atomics.load(ctl, FAILED) > 0) throw new Error(`kernel thread failed: ${failed[0] ?? 'no message'}`);
}

// the scratch arena: views are carved from `arena` at 64-byte boundaries (no two threads write one cache
// line) from `top` up; parallelRows resets `top` once the helpers are running, so a GEMM's views stay
// valid until the next split GEMM carves its own. When a view does not fit, a larger arena replaces it (views already carved keep theirs).
let arena = new SharedArrayBuffer(0);
let top = 0;

type SharedCtor = Int8ArrayConstructor | Uint8ArrayConstructor | Int16ArrayConstructor | Uint16ArrayConstructor | Int32ArrayConstructor
  | Uint32ArrayConstructor | Float32ArrayConstructor | Float64ArrayConstructor | BigInt64ArrayConstructor;
type SharedView = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array | BigInt64Array;

function carve<C extends SharedCtor>(Ctor: C, len: number): InstanceType<C> {
  const off = Math.ceil(top / 64) * 64;
  const bytes = len * Ctor.BYTES_PER_ELEMENT;
  if (off + bytes > arena.byteLength) {
    arena = new SharedArrayBuffer(Math.max(2 * arena.byteLength, Math.ceil((bytes + 64) / 65536) * 65536 * 2));
    top = 0;
    return carve(Ctor, len);
  }
  top = off + bytes;
  return new (Ctor as unknown as new (b: SharedArrayBuffer, o: number, n: number) => InstanceType<C>)(arena, off, len);
}

/**
 * A shared view of `len` values of `x`'s element type (Float64 for plain arrays) holding x[from..len); the
 * values before `from` (rows only the caller reads) are not copied.
 */
export function sharedCopy(x: ArrayLike<number>, len: number, from = 0): Exclude<SharedView, BigInt64Array> {
  const Ctor = ArrayBuffer.isView(x) && !(x instanceof DataView) && !(x instanceof BigInt64Array) && !(x instanceof BigUint64Array)
    ? (x.constructor as Float64ArrayConstructor)
    : Float64Array;
  const s = carve(Ctor, len);
  if (ArrayBuffer.isView(x)) s.set((x as Float64Array).subarray(from, len), from);
  else for (let i = from; i < len; i++) s[i] = x[i]!;
  return s;
}

/** A shared output of `len` values of `out`'s type (the helpers' rows are copied back from it). */
export function sharedOut<T extends Int32Array | BigInt64Array>(out: T, len: number): T {
  return carve(out instanceof Int32Array ? Int32Array : BigInt64Array, len) as T;
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
