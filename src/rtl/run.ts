import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, ToolError } from '../util/errors.js';
import { decodeOutputs, encodeStimulus, strideWords } from './harness.js';
import { runTool } from './proc.js';
import { tracedWords } from './trace_words.js';
import { inputPorts, outputPorts, type PortSpec } from './unit.js';
import type { BuiltSim } from './build.js';

/**
 * Runs a built simulator over a whole stimulus in one process (batched: one file in, one file out),
 * returning the per-cycle sampled outputs as unsigned bit patterns, and optionally writing a VCD.
 */
export interface SimRun {
  outputs: bigint[][];
  cycles: number;
  /** wall-clock seconds of the simulator process (encoding/decoding excluded) */
  seconds: number;
}

/** A simulator run on harness words: `strideWords(outputs)` words per cycle, then the build's traced registers' words. */
export interface SimWordsRun {
  words: Uint32Array;
  cycles: number;
  /** wall-clock seconds of the simulator (process or in-process call) */
  seconds: number;
}

/**
 * Checks the simulator's output block against the cycle count and returns it. `extra`: the words per cycle
 * after the ports (the build's traced registers, src/rtl/trace_words.ts).
 */
export function checkSimOutput(outs: PortSpec[], words: Uint32Array, cycles: number, extra = 0): Uint32Array {
  const per = strideWords(outs) + extra;
  if (words.length !== cycles * per) {
    throw new InputError(`harness output has ${words.length} words; expected ${cycles * per} (${cycles} cycles x ${per})`);
  }
  return words;
}

/**
 * A file of little-endian uint32 words (a trailing partial word dropped) as a Uint32Array: a view of the read
 * buffer when it is 4-byte aligned (a file read gets a buffer of its own, so it is: no copy of megabytes of
 * outputs), else a copy.
 */
export function readWords(path: string): Uint32Array {
  const buf = readFileSync(path);
  const n = buf.byteLength >>> 2;
  if (buf.byteOffset % 4 === 0) return new Uint32Array(buf.buffer, buf.byteOffset, n);
  return new Uint32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + 4 * n));
}

/**
 * `runSim` on words: `input` is the encoded stimulus (`strideWords(inputs)` words per cycle). The process
 * is started before the first await, so a caller can run its TS model while the simulator runs.
 */
export async function runSimWords(
  built: BuiltSim,
  unit: string,
  ports: PortSpec[],
  input: Uint32Array,
  cycles: number,
  opts: { vcdPath?: string; cwd?: string } = {},
): Promise<SimWordsRun> {
  if (opts.vcdPath !== undefined && !built.trace) {
    throw new ToolError(`${unit}: a VCD was requested from a simulator built without --trace`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'lowbit-sim-'));
  try {
    const inPath = join(dir, 'stimulus.bin');
    const outPath = join(dir, 'outputs.bin');
    writeFileSync(inPath, new Uint8Array(input.buffer, input.byteOffset, input.byteLength));
    const t0 = performance.now();
    const args = [inPath, outPath, ...(opts.vcdPath !== undefined ? [opts.vcdPath] : [])];
    const res = await runTool(built.exe, args, opts.cwd !== undefined ? { cwd: opts.cwd } : {});
    const seconds = (performance.now() - t0) / 1000;
    if (res.code !== 0) {
      throw new ToolError(`${unit}: simulator ${built.exe} exited with ${res.code}: ${(res.stderr || res.stdout).trim().slice(0, 2000)}`);
    }
    return { words: checkSimOutput(outputPorts(ports), readWords(outPath), cycles, tracedWords(built.traced)), cycles, seconds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runSim(
  built: BuiltSim,
  unit: string,
  ports: PortSpec[],
  stimulus: bigint[][],
  opts: { vcdPath?: string; cwd?: string } = {},
): Promise<SimRun> {
  const words = encodeStimulus(unit, inputPorts(ports), stimulus);
  const run = await runSimWords(built, unit, ports, words, stimulus.length, opts);
  return { outputs: decodeOutputs(outputPorts(ports), run.words, run.cycles), cycles: run.cycles, seconds: run.seconds };
}
