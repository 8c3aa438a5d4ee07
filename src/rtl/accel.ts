import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROUNDINGS } from '../arith/index.js';
import { layoutBits, type AccelProgram } from '../hw/accel_program.js';
import { writeImages } from '../hw/accel_images.js';
import { hostInput, runAccelerator, type AccelRun } from '../hw/accelerator.js';
import { macVerilogParams } from '../hw/mac_pe.js';
import { REQUANTIZER_MODES } from '../hw/requantizer.js';
import { buildSim } from './build.js';
import { compareOutputs, type Mismatch } from './compare.js';
import { HDL_MANIFEST } from './hdl_manifest.js';
import { applyMutation, type Mutation } from './mutate.js';
import { ToolError } from '../util/errors.js';
import { resolveRepoPath } from './paths.js';
import { runSim } from './run.js';
import type { PortSpec } from './unit.js';

/**
 * Co-simulation of the whole accelerator (`hdl/accel_top.sv`) against its TS model (src/hw/accelerator.ts).
 * The memories are the compiler's images, read with `$readmemh` from the simulator's working directory
 * (a fresh temporary folder per run), so a new model never needs a new Verilator build: the build depends
 * only on the Design and the memory sizes (rounded up to powers of two).
 *
 * Host protocol per image (the stimulus), starting at cycle s:
 *   cycles s .. s+W-1     write the W input words (in_we_i, in_addr_i, in_data_i);
 *   cycle  s+W            start_i;
 *   cycle  d = s+W+T      done_o (T = the model's cycles per inference);
 *   cycles d .. d+E-1     out_addr_i = e, so out_data_o carries output e in cycle d+e+1.
 * Every output port is compared in every cycle with what the model predicts (busy_o, done_o, cycles_o,
 * out_data_o), so a wrong value or a wrong cycle count shows up as the first mismatching cycle.
 */
const pow2 = (n: number): number => 2 ** Math.ceil(Math.log2(Math.max(1, n)));

/** Minimum memory sizes for a build, so that several models share one simulator (tests, `lowbit run`). */
export interface AccelCapacity {
  wDepth?: number;
  pDepth?: number;
  actWords?: number;
  outDepth?: number;
  layers?: number;
}

export function accelParameters(p: AccelProgram, cap: AccelCapacity = {}): Record<string, number | string> {
  const d = p.design;
  const { Dataflow: _df, ...mac } = macVerilogParams(d);
  return {
    Rows: d.array.rows, Cols: d.array.cols, ...mac,
    ReqMode: REQUANTIZER_MODES.indexOf(d.requant.mode), ReqRounding: ROUNDINGS.indexOf(d.requant.rounding),
    Lanes: d.xnor.bitsPerCycle, Steps: p.steps, WordBits: p.wordBits,
    WDepth: pow2(Math.max(p.wDepth, cap.wDepth ?? 1)), PDepth: pow2(Math.max(p.pDepth, cap.pDepth ?? 1)),
    ActWords: pow2(Math.max(Math.ceil(p.actBits / 32), cap.actWords ?? 1)),
    OutDepth: pow2(Math.max(p.outDepth, cap.outDepth ?? 1)), Layers: pow2(Math.max(p.layers.length, cap.layers ?? 1)), MemDir: '.',
  };
}

export function accelPorts(p: AccelProgram, cap: AccelCapacity = {}): PortSpec[] {
  const prm = accelParameters(p, cap);
  const aw = (n: number): number => (n > 1 ? Math.ceil(Math.log2(n)) : 1);
  return [
    { name: 'in_we_i', dir: 'in', width: 1 },
    { name: 'in_addr_i', dir: 'in', width: aw(prm.ActWords as number) },
    { name: 'in_data_i', dir: 'in', width: 32 },
    { name: 'start_i', dir: 'in', width: 1 },
    { name: 'out_addr_i', dir: 'in', width: aw(prm.OutDepth as number) },
    { name: 'busy_o', dir: 'out', width: 1 },
    { name: 'done_o', dir: 'out', width: 1 },
    { name: 'cycles_o', dir: 'out', width: 32 },
    { name: 'out_data_o', dir: 'out', width: 32, signed: true },
  ];
}

/** The first layer's input words for one run (`hostInput`: NHWC, already shifted by the input shift). */
export function packInput(p: AccelProgram, x: Int32Array): Uint32Array {
  const l = p.layers[0];
  const elems = l.win.H * l.win.W * l.win.C;
  const words = new Uint32Array(Math.ceil(layoutBits(l.inLayout, elems) / 32));
  const setBit = (pos: number): void => {
    words[pos >>> 5] |= 1 << (pos & 31);
  };
  if (l.inLayout.kind === 'slots') {
    const s = l.inLayout.slotBits;
    for (let i = 0; i < elems; i++) for (let b = 0; b < s; b++) if ((x[i] >> b) & 1) setBit(i * s + b);
  } else if (l.inLayout.kind === 'planes') {
    const { planes, stride, bipolar } = l.inLayout;
    for (let i = 0; i < elems; i++) {
      for (let b = 0; b < planes; b++) if (bipolar ? x[i] > 0 : (x[i] >> b) & 1) setBit(b * stride + i);
    }
  }
  return words;
}

export interface AccelCosim {
  /** batch x outputElems as read back from the RTL */
  outputs: Int32Array;
  /** cycles_o of each image */
  cycles: number[];
  model: AccelRun;
  mismatch?: Mismatch & { image: number };
  build: { cached: boolean; seconds: number };
  simSeconds: number;
  simCycles: number;
}

/** Runs `batch` images (first-layer input integers, before the input shift) through the RTL and the model. */
export async function cosimAccelerator(
  p: AccelProgram, x: Int32Array, batch: number,
  opts: { cacheDir?: string; vcdPath?: string; capacity?: AccelCapacity; hdlDir?: string } = {},
): Promise<AccelCosim> {
  const model = runAccelerator(p, x, batch);
  const cap = opts.capacity ?? {};
  const ports = accelPorts(p, cap);
  const stim: bigint[][] = [];
  const expected: bigint[][] = [];
  const starts: number[] = [];
  const E = p.outputElems;
  const I = p.images;
  const runE = I * E; // output words of a run (a partial last run repeats its last image)
  let lastCycles = 0n;
  let outq = new Array<bigint>(runE).fill(0n); // the output buffer the RTL holds (0 after reset)
  let readData = 0n; // out_data_o register
  const push = (inp: bigint[], busy: boolean, done: boolean, readable: boolean, addr: number): void => {
    expected.push([busy ? 1n : 0n, done ? 1n : 0n, lastCycles, readData]);
    stim.push(inp);
    readData = readable ? (outq[addr] ?? 0n) : 0n;
  };
  for (let b0 = 0; b0 < batch; b0 += I) {
    const words = packInput(p, hostInput(p, x, b0, batch));
    starts.push(stim.length);
    for (let w = 0; w < words.length; w++) push([1n, BigInt(w), BigInt(words[w]), 0n, 0n], false, false, true, 0);
    push([0n, 0n, 0n, 1n, 0n], false, false, true, 0);
    for (let t = 1; t < model.cycles; t++) push([0n, 0n, 0n, 0n, 0n], true, false, false, 0);
    // done cycle: the results are in the output buffer, cycles_o holds the count
    outq = Array.from({ length: runE }, (_, e) => BigInt.asUintN(32, BigInt(model.outputs[Math.min(b0 + Math.floor(e / E), batch - 1) * E + (e % E)])));
    lastCycles = BigInt(model.cycles);
    for (let e = 0; e < runE; e++) push([0n, 0n, 0n, 0n, BigInt(e)], false, e === 0, true, e);
    push([0n, 0n, 0n, 0n, 0n], false, false, true, 0);
  }
  const cacheDir = opts.cacheDir;
  const built = await buildSim(
    { unit: 'accel_top', top: 'accel_top', files: HDL_MANIFEST.accel_top.map((f) => (opts.hdlDir !== undefined ? join(opts.hdlDir, f) : resolveRepoPath(`hdl/${f}`))), parameters: accelParameters(p, cap), ports, trace: opts.vcdPath !== undefined },
    cacheDir !== undefined ? { cacheDir } : {},
  );
  const dir = mkdtempSync(join(tmpdir(), 'lowbit-accel-'));
  try {
    writeImages(p, dir);
    const run = await runSim(built, 'accel_top', ports, stim, { cwd: dir, ...(opts.vcdPath !== undefined ? { vcdPath: opts.vcdPath } : {}) });
    const outs = ports.filter((q) => q.dir === 'out');
    const cmp = compareOutputs('accel_top', outs, expected, run.outputs);
    const outputs = new Int32Array(batch * E);
    const cycles: number[] = [];
    let b0 = 0;
    for (let t = 0; t < run.outputs.length && b0 < batch; t++) {
      if (run.outputs[t][1] === 1n) {
        cycles.push(Number(run.outputs[t][2]));
        for (let e = 0; e < Math.min(runE, (batch - b0) * E); e++) outputs[b0 * E + e] = Number(BigInt.asIntN(32, run.outputs[t + e + 1]?.[3] ?? 0n));
        b0 += I;
      }
    }
    const first = cmp.first;
    let runIdx = 0;
    while (first && runIdx + 1 < starts.length && starts[runIdx + 1] <= first.cycle) runIdx++;
    const image = runIdx * I;
    return {
      outputs, cycles, model,
      ...(first ? { mismatch: { ...first, image } } : {}),
      build: { cached: built.cached, seconds: built.seconds },
      simSeconds: run.seconds, simCycles: run.cycles,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}


/**
 * Builds a mutant of the accelerator (the mutation applied to a copy of its RTL in a temporary folder;
 * the sources are never touched) and co-simulates `jobs` on it until one mismatches: killed, or killed
 * by the build when the mutant does not compile. Returns how, and the job that killed it.
 */
export async function runAccelMutant(
  m: Mutation,
  jobs: { label: string; program: AccelProgram; x: Int32Array; batch: number }[],
  opts: { capacity?: AccelCapacity; cacheDir?: string } = {},
): Promise<{ killed: boolean; how: 'mismatch' | 'build' | 'survived'; by?: string; cycle?: number; signal?: string }> {
  const dir = mkdtempSync(join(tmpdir(), `lowbit-mutant-${m.id}-`));
  try {
    for (const f of HDL_MANIFEST.accel_top) {
      const src = readFileSync(resolveRepoPath(`hdl/${f}`), 'utf8');
      writeFileSync(join(dir, f), `hdl/${f}` === m.file ? applyMutation(m, src) : src);
    }
    for (const j of jobs) {
      let r: AccelCosim;
      try {
        r = await cosimAccelerator(j.program, j.x, j.batch, { hdlDir: dir, ...(opts.capacity ? { capacity: opts.capacity } : {}), ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}) });
      } catch (e) {
        if (e instanceof ToolError) return { killed: true, how: 'build', by: j.label };
        throw e;
      }
      if (r.mismatch) return { killed: true, how: 'mismatch', by: j.label, cycle: r.mismatch.cycle, signal: r.mismatch.signal };
    }
    return { killed: false, how: 'survived' };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
