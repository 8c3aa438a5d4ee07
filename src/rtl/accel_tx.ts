import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AccelProgram } from '../hw/accel_program.js';
import { writeImages } from '../hw/accel_images.js';
import { inferenceCycles, runAccelerator } from '../hw/accel_top.js';
import { ToolError } from '../util/errors.js';
import { accelBuildRequest, checkRtlSupported, cosimAccelerator, hostImage, hostState, imageWords, type AccelCapacity, type HostCycle, type HostState } from './accel_top.js';
import { MAKE_VARS, buildSim, type BuildKind, type BuiltSim } from './build.js';
import { koffi } from './inproc.js';
import { runTool } from './proc.js';

/**
 * Transaction-level co-simulation of the whole accelerator: the host protocol runs inside the simulator
 * (sim/accel.cpp), which returns per image its outputs, cycles_o, the measured start-to-done cycle count and
 * a hash of every output port in every cycle. Here each image is checked against the TS model: outputs,
 * both cycle counts, and the hash of the cycle-by-cycle outputs the model predicts (accel_top.ts `hostImage`),
 * so a wrong value or a wrong cycle on any port is still caught, without a per-cycle stream.
 *
 * Images go in chunks (each a fresh simulation from reset), `jobs` chunks at a time: in this process through
 * koffi (asynchronous calls, one simulation per worker thread) when koffi loads, else one simulator process
 * per chunk. Memory is bounded by a chunk, whatever the number of images. On a disagreement the image
 * (with the one before it in its chunk, whose results the RTL still holds) is re-run cycle by cycle with a
 * VCD (accel_top.ts `cosimAccelerator`), which names the first differing cycle and port.
 */

/**
 * The C++ model's optimisation, by the cycles to simulate. Measured for accel_top with its word-memory buffers
 * (sfc-w1a1 on binary-mnist, the C++-only driver, docs/verify.md, session 8): -O1 builds in ~41 CPU s against
 * ~112-120 at -O2/-O3 and simulates 0.93x as fast as -O3 (medians of 5 alternating runs, 197.6 k against
 * 212.2 k cycles per CPU s; -O2 no faster than -O3), so the ~75 CPU s the -O3 build costs pay back from
 * 75 / (1/197.6 k - 1/212.2 k) ~ 215 M cycles on (about 14,000 sfc-w1a1 images; the 10,000 of the test set
 * are 152 M). Before the word memories, -O3 was 2.9x faster and paid from 4 M cycles.
 */
export const ACCEL_O3_FROM_CYCLES = 215e6;
export function accelMakeVars(cycles: number): readonly string[] {
  return cycles >= ACCEL_O3_FROM_CYCLES ? ['OPT_FAST=-O3'] : MAKE_VARS;
}
/**
 * Images per chunk when not given: each chunk is a fresh simulation (a process start, the memories read,
 * the reset), about 50 ms of CPU for the sfc-w1a1 build (measured: 1 image 0.13 s, 16 images 1.3 s), so
 * chunks are as large as allowed (256 images: memory, progress and the `seconds` limit are per chunk),
 * of equal size and a multiple of `jobs` in number, so that the jobs end together.
 */
export function defaultChunk(batch: number, jobs: number): number {
  const chunks = jobs * Math.max(1, Math.ceil(batch / (jobs * 256)));
  return Math.max(1, Math.ceil(batch / chunks));
}
const NO_DONE = 0xffffffff;
const FNV_BASIS = 2166136261;
const FNV_PRIME = 16777619;

export interface TxOptions {
  capacity?: AccelCapacity;
  cacheDir?: string;
  hdlDir?: string;
  /** simulations at a time (default: all cores) */
  jobs?: number;
  /** images per chunk (default `defaultChunk`) */
  chunk?: number;
  /**
   * `process` (default): simulator processes; `inproc`: koffi (opt-in, `LOWBIT_RTL_INPROC=1`). Its SIGSEGV
   * on the demo's shared binary-mnist build was koffi's 128 KiB asynchronous stack (fixed: inproc.ts
   * `KOFFI_ASYNC_STACK`); processes stay the default because they are as fast per CPU second (0.98x the
   * C++-only driver against 0.84-0.98x in process, docs/verify.md) and a crashing model cannot take lowbit down
   */
  mode?: 'inproc' | 'process';
  /** the model's outputs for the images (batch x outputElems), when already computed */
  expected?: Int32Array;
  /** stop starting chunks after this many seconds (the run then reports `stopped`) */
  seconds?: number;
  /** called after each chunk with the images done so far */
  onProgress?: (done: number) => void;
  /** make variables of the C++ compile (default `accelMakeVars` of the run's cycles) */
  makeVars?: readonly string[];
  /** where to write the VCD of a disagreement (default: none kept) */
  vcdPath?: string;
}

export interface TxDisagreement {
  image: number;
  /** what differed at the transaction level */
  what: 'outputs' | 'cycles_o' | 'done cycle' | 'no done' | 'port hash';
  element?: number;
  expected: number;
  actual: number;
  /** from the per-cycle re-run: the first differing cycle (from the re-run's reset) and port */
  cycle?: number;
  signal?: string;
  vcd?: string;
}

export interface TxResult {
  /** images simulated and checked (all, unless `stopped`) */
  images: number;
  /** of those, images whose outputs, cycle counts and port hash all agree with the model */
  agree: number;
  /** images x outputElems as read back from the RTL (images not simulated: 0) */
  outputs: Int32Array;
  /** 1 for each image simulated and checked (all of them unless `stopped`) */
  checked: Uint8Array;
  /** the start-to-done cycle count of the first image */
  cycles: number;
  /** the first disagreeing image, localised by the per-cycle re-run */
  disagreement?: TxDisagreement;
  /** why the run ended before all images */
  stopped?: string;
  build: { cached: boolean; seconds: number; kind: BuildKind };
  simSeconds: number;
  simCycles: number;
  jobs: number;
}

/** FNV-1a hash of the outputs the model predicts in every cycle of one image (sim/accel.cpp's hash). */
export function expectedHash(words: Uint32Array, outputs: ArrayLike<number>, T: number, st: HostState): number {
  let h = FNV_BASIS;
  const emit: HostCycle = (_we, _a, _d, _s, _o, busy, done, cycles, outData) => {
    h = Math.imul(h ^ busy, FNV_PRIME);
    h = Math.imul(h ^ done, FNV_PRIME);
    h = Math.imul(h ^ cycles, FNV_PRIME);
    h = Math.imul(h ^ outData, FNV_PRIME);
  };
  hostImage(words, outputs, T, st, emit);
  return h >>> 0;
}

/** Runs one chunk of packed images and returns the records (E + 3 words per image). */
type ChunkRunner = (words: Uint32Array, W: number, E: number, n: number, maxCycles: number) => Promise<Uint32Array>;

interface KoffiShim {
  open: (memDir: string, vcd: string) => unknown;
  run: { async: (...args: unknown[]) => void };
  close: (h: unknown) => void;
}
const shims = new Map<string, KoffiShim>();

function koffiRunner(built: BuiltSim, memDir: string): ChunkRunner {
  let shim = shims.get(built.exe);
  if (shim === undefined) {
    const so = koffi().load(built.exe);
    shim = {
      open: so.func('void *lb_accel_open(const char *memDir, const char *vcd)'),
      run: so.func('void lb_accel_run(void *h, const uint32_t *words, uint32_t W, uint32_t E, uint32_t n, uint32_t maxCycles, _Out_ uint32_t *rec)') as unknown as KoffiShim['run'],
      close: so.func('void lb_accel_close(void *h)'),
    };
    shims.set(built.exe, shim);
  }
  const s = shim;
  return (words, W, E, n, maxCycles) => {
    const h = s.open(memDir, '');
    if (h === null) throw new ToolError(`accel_top: cannot open the simulation (memories in ${memDir})`);
    const rec = new Uint32Array(n * (E + 3));
    return new Promise((resolve, reject) => {
      s.run.async(h, words, W, E, n, maxCycles, rec, (err: unknown) => {
        s.close(h);
        if (err) reject(err instanceof Error ? err : new Error(String(err)));
        else resolve(rec);
      });
    });
  };
}

function processRunner(built: BuiltSim, memDir: string): ChunkRunner {
  let seq = 0;
  return async (words, W, E, n, maxCycles) => {
    const id = seq++;
    const inPath = join(memDir, `images-${id}.bin`);
    const outPath = join(memDir, `results-${id}.bin`);
    writeFileSync(inPath, new Uint8Array(words.buffer, words.byteOffset, words.byteLength));
    try {
      const res = await runTool(built.exe, [inPath, outPath, String(W), String(E), String(maxCycles)], { cwd: memDir });
      if (res.code !== 0) throw new SimStopped(`the simulator ${built.exe} exited with ${res.code}: ${(res.stderr || res.stdout).trim().split('\n')[0]}`);
      const buf = readFileSync(outPath);
      if (buf.byteLength !== n * (E + 3) * 4) throw new SimStopped(`the simulator wrote ${buf.byteLength} bytes of results for ${n} images`);
      return new Uint32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    } finally {
      rmSync(inPath, { force: true });
      rmSync(outPath, { force: true });
    }
  };
}

/** A simulator that died or misbehaved: the run stops with the images verified so far. */
class SimStopped extends Error {}

/** koffi is an optional peer dependency: without it the run uses simulator processes. */
function loadsKoffi(): boolean {
  try {
    koffi();
    return true;
  } catch {
    return false;
  }
}

/** Runs `batch` images (first-layer input integers, before the input shift) through the RTL, transaction level. */
export async function txAccelerator(p: AccelProgram, x: Int32Array, batch: number, opts: TxOptions = {}): Promise<TxResult> {
  checkRtlSupported(p);
  const E = p.outputElems;
  const T = inferenceCycles(p);
  const want = Math.max(1, opts.jobs ?? availableParallelism());
  const chunk = opts.chunk ?? defaultChunk(batch, want);
  const jobs = Math.max(1, Math.min(want, Math.ceil(batch / chunk) || 1));
  const mode = opts.mode ?? (process.env.LOWBIT_RTL_INPROC === '1' && loadsKoffi() ? 'inproc' : 'process');
  const kind: BuildKind = mode === 'inproc' ? 'accel-lib' : 'accel';
  const built = await buildSim(
    { ...accelBuildRequest(p, opts), kind, makeVars: opts.makeVars ?? accelMakeVars(batch * T) },
    opts.cacheDir !== undefined ? { cacheDir: opts.cacheDir } : {},
  );
  const memDir = mkdtempSync(join(tmpdir(), 'lowbit-accel-'));
  const t0 = performance.now();
  const outputs = new Int32Array(batch * E);
  const checked = new Uint8Array(batch);
  let images = 0;
  let agree = 0;
  let firstBad: (TxDisagreement & { prev: number }) | undefined;
  let stopped: string | undefined;
  let simCycles = 0;
  try {
    writeImages(p, memDir);
    const run = mode === 'inproc' ? koffiRunner(built, memDir) : processRunner(built, memDir);
    const W = imageWords(p, x, 0).length;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < batch && stopped === undefined) {
        if (opts.seconds !== undefined && (performance.now() - t0) / 1000 > opts.seconds) {
          stopped ??= `the time limit of ${opts.seconds} s`;
          return;
        }
        const start = next;
        const n = Math.min(chunk, batch - start);
        next += n;
        const words = new Uint32Array(n * W);
        for (let b = 0; b < n; b++) words.set(imageWords(p, x, start + b), b * W);
        const model = opts.expected?.subarray(start * E, (start + n) * E) ?? runAccelerator(p, x.subarray(start * p.inputElems, (start + n) * p.inputElems), n).outputs;
        let rec: Uint32Array;
        try {
          rec = await run(words, W, E, n, 2 * T + 1000);
        } catch (e) {
          if (!(e instanceof SimStopped)) throw e;
          stopped ??= e.message;
          return;
        }
        const st = hostState(E);
        for (let b = 0; b < n; b++) {
          const r = rec.subarray(b * (E + 3), (b + 1) * (E + 3));
          const want = model.subarray(b * E, (b + 1) * E);
          for (let e = 0; e < E; e++) outputs[(start + b) * E + e] = r[e] | 0;
          const hash = expectedHash(words.subarray(b * W, (b + 1) * W), want, T, st);
          const bad = checkImage(r, want, T, hash, E);
          simCycles += W + 1 + (r[E + 1] === NO_DONE ? 2 * T + 1000 : r[E + 1]) + E;
          images++;
          checked[start + b] = 1;
          if (bad === undefined) agree++;
          else if (firstBad === undefined || start + b < firstBad.image) firstBad = { ...bad, image: start + b, prev: b > 0 ? start + b - 1 : -1 };
        }
        opts.onProgress?.(images);
      }
    };
    await Promise.all(Array.from({ length: jobs }, () => worker()));
  } finally {
    rmSync(memDir, { recursive: true, force: true });
  }
  const simSeconds = (performance.now() - t0) / 1000;
  let disagreement: TxDisagreement | undefined;
  if (firstBad !== undefined) {
    const { prev, ...d } = firstBad;
    disagreement = { ...d, ...(await localise(p, x, prev, d.image, opts)) };
  }
  return {
    images, agree, outputs, checked, cycles: T, ...(disagreement ? { disagreement } : {}), ...(stopped ? { stopped } : {}),
    build: { cached: built.cached, seconds: built.seconds, kind }, simSeconds, simCycles, jobs,
  };
}

function checkImage(r: Uint32Array, want: Int32Array, T: number, hash: number, E: number): Omit<TxDisagreement, 'image'> | undefined {
  if (r[E + 1] === NO_DONE) return { what: 'no done', expected: T, actual: 2 * T + 1000 };
  for (let e = 0; e < E; e++) if ((r[e] | 0) !== want[e]) return { what: 'outputs', element: e, expected: want[e], actual: r[e] | 0 };
  if (r[E] !== T) return { what: 'cycles_o', expected: T, actual: r[E] };
  if (r[E + 1] !== T) return { what: 'done cycle', expected: T, actual: r[E + 1] };
  if (r[E + 2] !== hash) return { what: 'port hash', expected: hash, actual: r[E + 2] };
  return undefined;
}

/** Re-runs image `i` (after image `prev` when >= 0) cycle by cycle with a VCD: the first differing cycle and port. */
async function localise(p: AccelProgram, x: Int32Array, prev: number, i: number, opts: TxOptions): Promise<Partial<TxDisagreement>> {
  const P = p.inputElems;
  const sel = prev >= 0 ? [prev, i] : [i];
  const xs = new Int32Array(sel.length * P);
  sel.forEach((b, k) => xs.set(x.subarray(b * P, (b + 1) * P), k * P));
  const r = await cosimAccelerator(p, xs, sel.length, {
    ...(opts.capacity ? { capacity: opts.capacity } : {}), ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}),
    ...(opts.hdlDir ? { hdlDir: opts.hdlDir } : {}), ...(opts.vcdPath ? { vcdPath: opts.vcdPath } : {}),
  });
  if (r.mismatch === undefined) return { signal: `(not reproduced cycle by cycle from reset with image${sel.length > 1 ? `s ${sel.join(', ')}` : ` ${i}`})` };
  return { cycle: r.mismatch.cycle, signal: r.mismatch.signal, ...(opts.vcdPath ? { vcd: opts.vcdPath } : {}) };
}
