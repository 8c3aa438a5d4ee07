import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AccelProgram } from '../hw/accel_program.js';
import { writeImages } from '../hw/accel_images.js';
import { runAccelerator, runCycles } from '../hw/accel_top.js';
import { ToolError } from '../util/errors.js';
import { accelBuildRequest, cosimAccelerator, hostImage, hostState, runWords, type AccelCapacity, type HostCycle, type HostState } from './accel_top.js';
import { MAKE_VARS, buildSim, type BuildKind, type BuiltSim } from './build.js';
import { koffi, koffiLoads } from './inproc.js';
import { runTool } from './proc.js';
import { readWords } from './run.js';

/**
 * Transaction-level co-simulation of the whole accelerator: the host protocol runs inside the simulator
 * (sim/accel.cpp), which returns per accelerator run its outputs, cycles_o, the measured start-to-done cycle
 * count and a hash of every output port in every cycle. A run holds I = `p.images` images (an MLP batch on
 * the array rows: I x E output words; a CNN: I = 1), written as one input map. Here each run is checked
 * against the TS model of the same program: outputs, both cycle counts, and the hash of the cycle-by-cycle
 * outputs the model predicts (accel_top.ts `hostImage`), so a wrong value or a wrong cycle on any port is
 * still caught, without a per-cycle stream. An image agrees when its own outputs and its run's cycle counts
 * and hash all agree (a run-level difference counts against each of the run's I images).
 *
 * Images go in chunks of whole runs (each chunk a fresh simulation from reset), `jobs` chunks at a time: in
 * this process through koffi (asynchronous calls, one simulation per worker thread) when koffi loads, else
 * one simulator process per chunk. Memory is bounded by a chunk, whatever the number of images. Only the
 * last run of all may be partial: its missing images repeat the last one (accel_top.ts `hostInput`). On a
 * disagreement the run (with the run before it in its chunk, whose results the RTL still holds) is re-run
 * cycle by cycle with a VCD (accel_top.ts `cosimAccelerator`), which names the first differing cycle and port.
 */

/**
 * The C++ model's optimisation, by the cycles to simulate. Measured for accel_top with its word-memory buffers
 * (sfc-w1a1 on binary-mnist, the C++-only driver, docs/verify.md, session 8): -O1 builds in ~41 CPU s against
 * ~112-120 at -O2/-O3 and simulates 0.93x as fast as -O3 (medians of 5 alternating runs, 197.6 k against
 * 212.2 k cycles per CPU s; -O2 no faster than -O3), so the ~75 CPU s the -O3 build costs pay back from
 * 75 / (1/197.6 k - 1/212.2 k) ~ 215 M cycles on (about 14,000 sfc-w1a1 images at batch 1; the 10,000 of
 * the test set are 152 M at batch 1, 29 M at 16 images per run). Before the word memories, -O3 was 2.9x
 * faster and paid from 4 M cycles.
 */
export const ACCEL_O3_FROM_CYCLES = 215e6;
export function accelMakeVars(cycles: number): readonly string[] {
  return cycles >= ACCEL_O3_FROM_CYCLES ? ['OPT_FAST=-O3'] : MAKE_VARS;
}
/**
 * Images per chunk when not given: each chunk is a fresh simulation (a process start, the memories read,
 * the reset), about 50 ms of CPU for the sfc-w1a1 build (measured: 1 image 0.13 s, 16 images 1.3 s), so
 * chunks are as large as allowed (256 images, or the whole runs of `perRun` images that fit: memory,
 * progress and the `seconds` limit are per chunk), a whole number of runs, of equal size and a multiple of
 * `jobs` in number, so that the jobs end together.
 */
export function defaultChunk(batch: number, jobs: number, perRun = 1): number {
  const runs = Math.ceil(batch / perRun);
  const maxRuns = Math.max(1, Math.floor(256 / perRun));
  const chunks = jobs * Math.max(1, Math.ceil(runs / (jobs * maxRuns)));
  return perRun * Math.max(1, Math.ceil(runs / chunks));
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
  /** images per chunk, rounded up to whole runs of `p.images` (default `defaultChunk`) */
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
  /** the image whose outputs differ, or the first image of the run whose cycle counts or hash differ */
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
  /** of those, images whose outputs, and their run's cycle counts and port hash, all agree with the model */
  agree: number;
  /** images per accelerator run (`p.images`) */
  imagesPerRun: number;
  /** images x outputElems as read back from the RTL (images not simulated: 0) */
  outputs: Int32Array;
  /** 1 for each image simulated and checked (all of them unless `stopped`) */
  checked: Uint8Array;
  /** the start-to-done cycle count of a run (the model's, which every agreeing run matched) */
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

/** FNV-1a hash of the outputs the model predicts in every cycle of one run (sim/accel.cpp's hash). */
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

/** Runs one chunk of n runs (W packed input words each) and returns the records (E + 3 words per run, E the
 * output words of a run). */
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
      const bytes = statSync(outPath).size;
      if (bytes !== n * (E + 3) * 4) throw new SimStopped(`the simulator wrote ${bytes} bytes of results for ${n} runs`);
      return readWords(outPath);
    } finally {
      rmSync(inPath, { force: true });
      rmSync(outPath, { force: true });
    }
  };
}

/** A simulator that died or misbehaved: the run stops with the images verified so far. */
class SimStopped extends Error {}


/** Runs `batch` images (first-layer input integers, before the input shift) through the RTL, transaction level. */
export async function txAccelerator(p: AccelProgram, x: Int32Array, batch: number, opts: TxOptions = {}): Promise<TxResult> {
  const E = p.outputElems;
  const I = p.images;
  const RE = I * E; // output words of a run
  const T = runCycles(p);
  const limit = 2 * T + 1000;
  const want = Math.max(1, opts.jobs ?? availableParallelism());
  const chunk = I * Math.ceil((opts.chunk ?? defaultChunk(batch, want, I)) / I);
  const jobs = Math.max(1, Math.min(want, Math.ceil(batch / chunk) || 1));
  const mode = opts.mode ?? (process.env.LOWBIT_RTL_INPROC === '1' && koffiLoads() ? 'inproc' : 'process');
  const kind: BuildKind = mode === 'inproc' ? 'accel-lib' : 'accel';
  const built = await buildSim(
    { ...accelBuildRequest(p, opts), kind, makeVars: opts.makeVars ?? accelMakeVars(Math.ceil(batch / I) * T) },
    opts.cacheDir !== undefined ? { cacheDir: opts.cacheDir } : {},
  );
  const memDir = mkdtempSync(join(tmpdir(), 'lowbit-accel-'));
  const t0 = performance.now();
  const outputs = new Int32Array(batch * E);
  const checked = new Uint8Array(batch);
  let images = 0;
  let agree = 0;
  let firstBad: (TxDisagreement & { from: number; to: number }) | undefined;
  let stopped: string | undefined;
  let simCycles = 0;
  try {
    writeImages(p, memDir);
    const run = mode === 'inproc' ? koffiRunner(built, memDir) : processRunner(built, memDir);
    const W = runWords(p, x, 0).length;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < batch && stopped === undefined) {
        if (opts.seconds !== undefined && (performance.now() - t0) / 1000 > opts.seconds) {
          stopped ??= `the time limit of ${opts.seconds} s`;
          return;
        }
        const start = next;
        const n = Math.min(chunk, batch - start);
        const runs = Math.ceil(n / I);
        next += n;
        const words = new Uint32Array(runs * W);
        for (let r = 0; r < runs; r++) words.set(runWords(p, x, start + r * I), r * W);
        const model = opts.expected?.subarray(start * E, (start + n) * E) ?? runAccelerator(p, x.subarray(start * p.inputElems, (start + n) * p.inputElems), n).outputs;
        let rec: Uint32Array;
        try {
          rec = await run(words, W, RE, runs, limit);
        } catch (e) {
          if (!(e instanceof SimStopped)) throw e;
          stopped ??= e.message;
          return;
        }
        const st = hostState(RE);
        const wantRun = new Int32Array(RE);
        for (let r = 0; r < runs; r++) {
          const rr = rec.subarray(r * (RE + 3), (r + 1) * (RE + 3));
          // the run's expected outputs: image j of the run, the chunk's last image past its end
          for (let e = 0; e < RE; e++) wantRun[e] = model[Math.min(r * I + Math.floor(e / E), n - 1) * E + (e % E)];
          const hash = expectedHash(words.subarray(r * W, (r + 1) * W), wantRun, T, st);
          const bad = checkRun(rr, wantRun, T, hash, E, limit);
          simCycles += W + 1 + (rr[RE + 1] === NO_DONE ? limit : rr[RE + 1]) + RE;
          const b0 = start + r * I;
          const m = Math.min(I, n - r * I);
          for (let j = 0; j < m; j++) {
            for (let e = 0; e < E; e++) outputs[(b0 + j) * E + e] = rr[j * E + e] | 0;
            checked[b0 + j] = 1;
          }
          images += m;
          if (bad === undefined) agree += m;
          else if (firstBad === undefined || b0 + bad.offset < firstBad.image) {
            const { offset, ...d } = bad;
            firstBad = { ...d, image: b0 + offset, from: r > 0 ? b0 - I : b0, to: b0 + m };
          }
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
    const { from, to, ...d } = firstBad;
    disagreement = { ...d, ...(await localise(p, x, from, to, opts)) };
  }
  return {
    images, agree, imagesPerRun: I, outputs, checked, cycles: T, ...(disagreement ? { disagreement } : {}), ...(stopped ? { stopped } : {}),
    build: { cached: built.cached, seconds: built.seconds, kind }, simSeconds, simCycles, jobs,
  };
}

/**
 * The first difference of one run's record from the model: `offset` the image within the run (its outputs;
 * 0 for the run-level cycle counts and hash), `element` the output within that image.
 */
function checkRun(r: Uint32Array, want: Int32Array, T: number, hash: number, E: number, limit: number): (Omit<TxDisagreement, 'image'> & { offset: number }) | undefined {
  const RE = want.length;
  if (r[RE + 1] === NO_DONE) return { what: 'no done', offset: 0, expected: T, actual: limit };
  for (let e = 0; e < RE; e++) if ((r[e] | 0) !== want[e]) return { what: 'outputs', offset: Math.floor(e / E), element: e % E, expected: want[e], actual: r[e] | 0 };
  if (r[RE] !== T) return { what: 'cycles_o', offset: 0, expected: T, actual: r[RE] };
  if (r[RE + 1] !== T) return { what: 'done cycle', offset: 0, expected: T, actual: r[RE + 1] };
  if (r[RE + 2] !== hash) return { what: 'port hash', offset: 0, expected: hash, actual: r[RE + 2] };
  return undefined;
}

/**
 * Re-runs images from..to-1 (the failing run, after the run before it in its chunk when there is one) cycle
 * by cycle with a VCD: the first differing cycle and port.
 */
async function localise(p: AccelProgram, x: Int32Array, from: number, to: number, opts: TxOptions): Promise<Partial<TxDisagreement>> {
  const P = p.inputElems;
  const r = await cosimAccelerator(p, x.slice(from * P, to * P), to - from, {
    ...(opts.capacity ? { capacity: opts.capacity } : {}), ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}),
    ...(opts.hdlDir ? { hdlDir: opts.hdlDir } : {}), ...(opts.vcdPath ? { vcdPath: opts.vcdPath } : {}),
  });
  const images = to - from > 1 ? `images ${from}..${to - 1}` : `image ${from}`;
  if (r.mismatch === undefined) return { signal: `(not reproduced cycle by cycle from reset with ${images})` };
  return { cycle: r.mismatch.cycle, signal: r.mismatch.signal, ...(opts.vcdPath ? { vcd: opts.vcdPath } : {}) };
}
