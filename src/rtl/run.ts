import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ToolError } from '../util/errors.js';
import { decodeOutputs, encodeStimulus } from './harness.js';
import { runTool } from './proc.js';
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

export async function runSim(
  built: BuiltSim,
  unit: string,
  ports: PortSpec[],
  stimulus: bigint[][],
  opts: { vcdPath?: string; cwd?: string } = {},
): Promise<SimRun> {
  if (opts.vcdPath !== undefined && !built.trace) {
    throw new ToolError(`${unit}: a VCD was requested from a simulator built without --trace`);
  }
  const words = encodeStimulus(unit, inputPorts(ports), stimulus);
  const dir = mkdtempSync(join(tmpdir(), 'lowbit-sim-'));
  try {
    const inPath = join(dir, 'stimulus.bin');
    const outPath = join(dir, 'outputs.bin');
    writeFileSync(inPath, new Uint8Array(words.buffer, words.byteOffset, words.byteLength));
    const t0 = performance.now();
    const args = [inPath, outPath, ...(opts.vcdPath !== undefined ? [opts.vcdPath] : [])];
    const res = await runTool(built.exe, args, opts.cwd !== undefined ? { cwd: opts.cwd } : {});
    const seconds = (performance.now() - t0) / 1000;
    if (res.code !== 0) {
      throw new ToolError(`${unit}: simulator ${built.exe} exited with ${res.code}: ${(res.stderr || res.stdout).trim().slice(0, 2000)}`);
    }
    const buf = readFileSync(outPath);
    const out = new Uint32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + (buf.byteLength & ~3)));
    return { outputs: decodeOutputs(outputPorts(ports), out, stimulus.length), cycles: stimulus.length, seconds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
