import { createRequire } from 'node:module';
import { ToolError } from '../util/errors.js';
import type { BuiltSim } from './build.js';
import { tracedWords } from './trace_words.js';
import { decodeOutputs, encodeStimulus, strideWords, vectorWords } from './harness.js';
import type { SimRun, SimWordsRun } from './run.js';
import { inputPorts, outputPorts, type PortSpec } from './unit.js';

/**
 * The in-process path: the harness core built as a shared library (`buildSim({ ..., kind: 'lib' })`,
 * sim/shim.cpp) and called through koffi (FFI). Same protocol, timing and VCD as the process harness
 * (sim/harness.cpp), without a process launch and file I/O: one FFI call runs the whole batch.
 * `lowbit verify` uses it by default for the registered units' own RTL (src/rtl/verify.ts `defaultInProcess`);
 * mutants and users' RTL run as processes (a crashing model cannot take lowbit down).
 */
type RunFn = (h: unknown, input: Uint32Array, output: Uint32Array, cycles: number) => void;
interface ShimLib {
  open: (vcd: string) => unknown;
  /** `run.async(..., callback)` runs on a thread of libuv's pool (koffi's asynchronous call) */
  run: RunFn & { async: (h: unknown, input: Uint32Array, output: Uint32Array, cycles: number, done: (err: unknown) => void) => void };
  close: (h: unknown) => void;
  inWords: () => number;
  outWords: () => number;
}

const loaded = new Map<string, ShimLib>();

/**
 * The C stack of koffi's asynchronous calls (`func.async`, used by the transaction-level accelerator runs).
 * koffi runs an asynchronous call on a stack of its own, 128 KiB by default; a Verilated model's evaluation
 * needs more: the largest frame of the accel_top library built for the demo (ActWords 512, before the
 * activation buffers were word memories) was 175,224 bytes (`sub $0x2ac78,%rsp`), so the call overflowed it
 * and node died with SIGSEGV. 8 MiB is a normal thread's stack; koffi maps it per running call.
 */
export const KOFFI_ASYNC_STACK = 8 << 20;
let koffiModule: typeof import('koffi') | undefined;

/** koffi, an optional peer dependency of lowbit (only this path needs it), loaded and configured on first use. */
export function koffi(): typeof import('koffi') {
  if (koffiModule !== undefined) return koffiModule;
  let k: typeof import('koffi');
  try {
    k = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  } catch {
    throw new ToolError('the in-process path (verify --in-process) needs the optional package koffi: npm install koffi');
  }
  // settings can change only before the first library is loaded
  k.config({ ...k.config(), async_stack_size: KOFFI_ASYNC_STACK });
  koffiModule = k;
  return k;
}

/** Whether koffi loads (it is an optional peer dependency: without it, simulations run as processes). */
export function koffiLoads(): boolean {
  try {
    koffi();
    return true;
  } catch {
    return false;
  }
}

function load(path: string): ShimLib {
  let lib = loaded.get(path);
  if (lib === undefined) {
    const so = koffi().load(path);
    lib = {
      open: so.func('void *lb_open(const char *vcd)'),
      run: so.func('void lb_run(void *h, const uint32_t *input, _Out_ uint32_t *output, double cycles)') as unknown as ShimLib['run'],
      close: so.func('void lb_close(void *h)'),
      inWords: so.func('int lb_in_words()'),
      outWords: so.func('int lb_out_words()'),
    };
    loaded.set(path, lib);
  }
  return lib;
}

/**
 * The library, its output block and an open simulation for one batch (the checks both calls make: the C side
 * reads `cycles` input vectors and writes as many output vectors in place, so the sizes are checked here).
 */
function openRun(built: BuiltSim, unit: string, ports: PortSpec[], input: Uint32Array, cycles: number, vcdPath: string | undefined): { lib: ShimLib; h: unknown; output: Uint32Array } {
  if (built.kind !== 'lib') throw new ToolError(`${unit}: the in-process path needs a build with kind 'lib'`);
  if (vcdPath !== undefined && !built.trace) throw new ToolError(`${unit}: a VCD was requested from a build without --trace`);
  const lib = load(built.exe);
  const ins = inputPorts(ports);
  const outs = outputPorts(ports);
  const outStride = strideWords(outs) + tracedWords(built.traced);
  if (lib.inWords() !== vectorWords(ins) || lib.outWords() !== vectorWords(outs) + tracedWords(built.traced)) {
    throw new ToolError(`${unit}: ${built.exe} was built for another port list`);
  }
  if (!Number.isSafeInteger(cycles) || cycles < 0 || input.length !== cycles * lib.inWords()) {
    throw new ToolError(`${unit}: ${input.length} stimulus words for ${cycles} cycles of ${lib.inWords()} words`);
  }
  const output = new Uint32Array(cycles * outStride);
  const h = lib.open(vcdPath ?? '');
  if (h === null) throw new ToolError(`${unit}: cannot open the VCD ${vcdPath}`);
  return { lib, h, output };
}

/** Runs a whole stimulus, given as harness words, through a `kind: 'lib'` build in this process. */
export function runSimInProcessWords(
  built: BuiltSim,
  unit: string,
  ports: PortSpec[],
  input: Uint32Array,
  cycles: number,
  opts: { vcdPath?: string } = {},
): SimWordsRun {
  const t0 = performance.now();
  const { lib, h, output } = openRun(built, unit, ports, input, cycles, opts.vcdPath);
  try {
    lib.run(h, input, output, cycles);
  } finally {
    lib.close(h);
  }
  const seconds = (performance.now() - t0) / 1000;
  return { words: output, cycles, seconds };
}

/**
 * `runSimInProcessWords` as an asynchronous koffi call: the batch runs on a thread of libuv's pool while
 * this thread goes on (verify runs the TS model meanwhile), and the promise settles when it ends. `input`
 * must not change until then (the simulator reads it in place).
 */
export async function runSimInProcessWordsAsync(
  built: BuiltSim,
  unit: string,
  ports: PortSpec[],
  input: Uint32Array,
  cycles: number,
  opts: { vcdPath?: string } = {},
): Promise<SimWordsRun> {
  const t0 = performance.now();
  const { lib, h, output } = openRun(built, unit, ports, input, cycles, opts.vcdPath);
  return new Promise((resolve, reject) => {
    try {
      lib.run.async(h, input, output, cycles, (err: unknown) => {
        lib.close(h);
        if (err) reject(err instanceof Error ? err : new Error(String(err)));
        else resolve({ words: output, cycles, seconds: (performance.now() - t0) / 1000 });
      });
    } catch (e) {
      lib.close(h); // the call did not start
      reject(e instanceof Error ? e : new Error(String(e)));
    }
  });
}

/** Runs a whole stimulus through a `kind: 'lib'` build in this process. */
export function runSimInProcess(
  built: BuiltSim,
  unit: string,
  ports: PortSpec[],
  stimulus: bigint[][],
  opts: { vcdPath?: string } = {},
): SimRun {
  const input = encodeStimulus(unit, inputPorts(ports), stimulus);
  const run = runSimInProcessWords(built, unit, ports, input, stimulus.length, opts);
  return { outputs: decodeOutputs(outputPorts(ports), run.words, run.cycles), cycles: run.cycles, seconds: run.seconds };
}
