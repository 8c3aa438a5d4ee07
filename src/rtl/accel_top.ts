import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clog2, formatSigned, ROUNDINGS } from '../arith/index.js';
import { layoutBits, weightWordBits, type AccelProgram } from '../hw/accel_program.js';
import type { Design } from '../hw/design.js';
import { writeImages } from '../hw/accel_images.js';
import { hostInput, runAccelerator, type AccelRun } from '../hw/accel_top.js';
import { ToolError } from '../util/errors.js';
import { macVerilogParams } from '../hw/mac_pe.js';
import { peVerilogParams } from '../hw/pe_kind.js';
import { REQUANTIZER_MODES } from '../hw/requantizer.js';
import { buildSim, type BuildRequest } from './build.js';
import { compareOutputs, type Mismatch } from './compare.js';
import { HDL_MANIFEST } from './hdl_manifest.js';
import { applyMutation, type Mutation } from './mutation_apply.js';
import { resolveRepoPath } from './paths.js';
import { runSim } from './run.js';
import type { PortSpec } from './unit.js';
import { getField } from './unit_words.js';

/**
 * Co-simulation of the whole accelerator (`hdl/accel_top.sv`) against its TS model (src/hw/accel_top.ts).
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
const pow2 = (n: number): number => 2 ** clog2(Math.max(1, n));

/** Minimum memory sizes for a build, so that several models share one simulator (tests, `lowbit run`). */
export interface AccelCapacity {
  wDepth?: number;
  pDepth?: number;
  actWords?: number;
  outDepth?: number;
  layers?: number;
  /** rows of the group-multiplier memory (a Design with accumulator.group) */
  gDepth?: number;
}

export function accelParameters(p: AccelProgram, cap: AccelCapacity = {}): Record<string, number | string> {
  return accelDesignParameters(p.design, {
    wDepth: Math.max(p.wDepth, cap.wDepth ?? 1), pDepth: Math.max(p.pDepth, cap.pDepth ?? 1),
    actWords: Math.max(Math.ceil(p.actBits / 32), cap.actWords ?? 1), outDepth: Math.max(p.outDepth, cap.outDepth ?? 1),
    layers: Math.max(p.layers.length, cap.layers ?? 1), gDepth: Math.max(p.gDepth, cap.gDepth ?? 1),
  });
}

/**
 * The Verilog parameters of accel_top for a Design and memory sizes (each rounded up to a power of two);
 * Steps (xnor.thresholds) and WordBits (`weightWordBits`) follow from the Design as the compiler sets them;
 * GroupBits (accumulator.group.multiplierBits) and GDepth only for a Design with group multipliers (without,
 * the build is the one without group_scale lanes).
 */
export function accelDesignParameters(d: Design, cap: AccelCapacity): Record<string, number | string> {
  const { Dataflow: _df, ...mac } = macVerilogParams(d);
  return {
    Rows: d.array.rows, Cols: d.array.cols, ...mac, ...peVerilogParams(d),
    ReqMode: REQUANTIZER_MODES.indexOf(d.requant.mode), ReqRounding: ROUNDINGS.indexOf(d.requant.rounding),
    Lanes: d.xnor.bitsPerCycle, Steps: d.xnor.thresholds, WordBits: weightWordBits(d),
    WDepth: pow2(cap.wDepth ?? 1), PDepth: pow2(cap.pDepth ?? 1), ActWords: pow2(cap.actWords ?? 1),
    OutDepth: pow2(cap.outDepth ?? 1), Layers: pow2(cap.layers ?? 1),
    ...(d.accumulator.group ? { GroupBits: d.accumulator.group.multiplierBits, GDepth: pow2(cap.gDepth ?? 1) } : {}),
    MemDir: '.',
  };
}

export function accelPorts(p: AccelProgram, cap: AccelCapacity = {}): PortSpec[] {
  return accelDesignPorts(accelParameters(p, cap));
}

/** accel_top's ports for its parameters (the address widths follow ActWords and OutDepth). */
export function accelDesignPorts(prm: Record<string, number | string>): PortSpec[] {
  const aw = (n: number): number => Math.max(1, clog2(n));
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

/**
 * The inverse of `packInput`: the first layer's input map (NHWC, after the input shift) from its words, as
 * accel_top reads them — slots as HBits-bit values (two's complement when the Design's activations are
 * signed), bipolar planes as bit 1 = +1 / bit 0 = -1, bit planes as the value's bits (the top plane
 * negative for a signed input). Bits past the map are ignored.
 */
export function unpackInput(p: AccelProgram, words: Uint32Array): Int32Array {
  const l = p.layers[0];
  const elems = l.win.H * l.win.W * l.win.C;
  const x = new Int32Array(elems);
  const lay = l.inLayout;
  const bit = (pos: number): number => (words[pos >>> 5] >>> (pos & 31)) & 1;
  if (lay.kind === 'slots') {
    const s = lay.slotBits;
    const signed = formatSigned(p.design.activation);
    for (let i = 0; i < elems; i++) x[i] = getField(words, 0, i * s, s, signed);
  } else if (lay.kind === 'planes' && lay.bipolar) {
    for (let i = 0; i < elems; i++) x[i] = bit(i) === 1 ? 1 : -1;
  } else if (lay.kind === 'planes') {
    const { planes, stride } = lay;
    const signed = formatSigned(l.xFormat);
    for (let i = 0; i < elems; i++) {
      let v = 0;
      for (let b = 0; b < planes; b++) v += bit(b * stride + i) * 2 ** b;
      x[i] = signed && bit((planes - 1) * stride + i) === 1 ? v - 2 ** planes : v;
    }
  }
  return x;
}

/**
 * The host's side of the protocol (header comment) as a state machine over images, shared by the per-cycle
 * co-simulation (which records it) and the transaction-level one (which hashes it, src/rtl/accel_tx.ts):
 * the RTL keeps `cycles_o` and the output buffer from the previous image, so the expected outputs of an
 * image depend on the state left by the one before (after reset: 0).
 */
export interface HostState {
  /** cycles_o */
  lastCycles: number;
  /** the output buffer (uint32 bit patterns) */
  outq: Uint32Array;
  /** the out_data_o register */
  readData: number;
}

export function hostState(outputElems: number): HostState {
  return { lastCycles: 0, outq: new Uint32Array(outputElems), readData: 0 };
}

/** One cycle: the inputs (in_we_i, in_addr_i, in_data_i, start_i, out_addr_i) and the outputs the model
 * predicts (busy_o, done_o, cycles_o, out_data_o as a uint32 bit pattern). */
export type HostCycle = (
  we: number, addr: number, data: number, start: number, outAddr: number,
  busy: number, done: number, cycles: number, outData: number,
) => void;

/**
 * Emits the W + 1 + T + E cycles of one image: `words` its packed input, `outputs` its E results from the
 * model, `T` the model's cycles per inference. Updates `st`.
 */
export function hostImage(words: Uint32Array, outputs: ArrayLike<number>, T: number, st: HostState, emit: HostCycle): void {
  const E = st.outq.length;
  const push = (we: number, addr: number, data: number, start: number, outAddr: number, busy: number, done: number, readable: boolean): void => {
    emit(we, addr, data, start, outAddr, busy, done, st.lastCycles, st.readData);
    st.readData = readable ? st.outq[outAddr] : 0;
  };
  for (let w = 0; w < words.length; w++) push(1, w, words[w], 0, 0, 0, 0, true);
  push(0, 0, 0, 1, 0, 0, 0, true);
  for (let t = 1; t < T; t++) push(0, 0, 0, 0, 0, 1, 0, false);
  // done cycle: the results are in the output buffer, cycles_o holds the count
  for (let e = 0; e < E; e++) st.outq[e] = outputs[e] >>> 0;
  st.lastCycles = T;
  for (let e = 0; e < E; e++) push(0, 0, 0, 0, e, 0, e === 0 ? 1 : 0, true);
  push(0, 0, 0, 0, 0, 0, 0, true);
}

/**
 * The packed input words of one run: the `p.images` images from image b0 of `x` (first-layer integers before
 * the input shift; past the last image of `x` the last one repeats, `hostInput`).
 */
export function runWords(p: AccelProgram, x: Int32Array, b0: number): Uint32Array {
  return packInput(p, hostInput(p, x, b0, x.length / p.inputElems));
}

/** The Verilator build request of the accelerator for a program (memory sizes from `cap`). */
/**
 * Verilator arguments every accel_top build needs: stage D's writes into the activation buffers are a loop
 * over Cols lanes x 32 bit planes of per-bit delayed assignments, which Verilator must unroll (it cannot
 * delay an array write inside a loop); 2,500 statements per lane lets it unroll up to 1024 lanes (Verilator's
 * default, 30,000, stops at about 14).
 */
export const ACCEL_VERILATOR_ARGS: readonly string[] = ['--unroll-stmts', '2560000'];

export function accelBuildRequest(p: AccelProgram, opts: { capacity?: AccelCapacity; hdlDir?: string; trace?: boolean } = {}): BuildRequest {
  const cap = opts.capacity ?? {};
  return {
    unit: 'accel_top', top: 'accel_top',
    files: HDL_MANIFEST.accel_top.map((f) => (opts.hdlDir !== undefined ? join(opts.hdlDir, f) : resolveRepoPath(`hdl/${f}`))),
    parameters: accelParameters(p, cap), ports: accelPorts(p, cap), trace: opts.trace === true,
    extraArgs: [...ACCEL_VERILATOR_ARGS],
  };
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

/**
 * Runs `batch` images (first-layer input integers, before the input shift) through the RTL and the model,
 * every output port compared in every cycle. Memory grows with batch x cycles: for a few images (tests,
 * localising a disagreement); whole test sets go through the transaction level (src/rtl/accel_tx.ts).
 */
export async function cosimAccelerator(
  p: AccelProgram, x: Int32Array, batch: number,
  opts: { cacheDir?: string; vcdPath?: string; capacity?: AccelCapacity; hdlDir?: string } = {},
): Promise<AccelCosim> {
  const model = runAccelerator(p, x, batch);
  const E = p.outputElems;
  const I = p.images;
  const stim: bigint[][] = [];
  const expected: bigint[][] = [];
  const starts: number[] = [];
  // a run holds I images (an MLP batch), I*E output words; a partial last run repeats its last image
  const st = hostState(I * E);
  const record: HostCycle = (we, addr, data, start, outAddr, busy, done, cycles, outData) => {
    stim.push([BigInt(we), BigInt(addr), BigInt(data >>> 0), BigInt(start), BigInt(outAddr)]);
    expected.push([BigInt(busy), BigInt(done), BigInt(cycles), BigInt(outData >>> 0)]);
  };
  for (let b0 = 0; b0 < batch; b0 += I) {
    starts.push(stim.length);
    const outs = Int32Array.from({ length: I * E }, (_, e) => model.outputs[Math.min(b0 + Math.floor(e / E), batch - 1) * E + (e % E)]);
    hostImage(runWords(p, x, b0), outs, model.cycles, st, record);
  }
  const cacheDir = opts.cacheDir;
  const req = accelBuildRequest(p, { ...opts, trace: opts.vcdPath !== undefined });
  const ports = req.ports;
  const built = await buildSim(req, cacheDir !== undefined ? { cacheDir } : {});
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
        for (let e = 0; e < Math.min(I * E, (batch - b0) * E); e++) outputs[b0 * E + e] = Number(BigInt.asIntN(32, run.outputs[t + e + 1]?.[3] ?? 0n));
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
