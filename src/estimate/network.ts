import { formatBits } from '../arith/format.js';
import type { Design } from '../hw/design.js';
import { compileModel } from '../hw/accel_compile.js';
import { inferenceCycles, layerCycles } from '../hw/accel_top.js';
import { geometry, layoutBits, groupPasses, type AccelLayer, type AccelProgram, type Layout, DESCRIPTOR_FIELDS } from '../hw/accel_program.js';
import type { QuantizedModel } from '../model/types.js';
import { badValue } from '../util/errors.js';
import { HOROWITZ_45NM, addEnergy, dramEnergyPerBit, mulEnergy, peMacEnergy, sramEnergyPerBit, xnorMacEnergy, type EnergyTable } from './energy.js';
import { modelMemory, type ModelMemory } from './memory.js';
import { hasWindowLayers, lineBufferBits } from '../hw/conv_window.js';
import { windowAdds } from './window.js';

/**
 * Estimates of a QuantizedModel on a Design, per layer and in total, from the compiled accelerator program
 * (`compileModel`) — the exact machine `hdl/accel_top.sv` runs. Every count is per inference: a run of
 * `images` images (an MLP's batch on the array rows) divided by `images`.
 *
 * Cycles: exactly `layerCycles` / `runCycles` (the RTL's cycle count, start_i to done_o) over `images`.
 * Utilization (M output pixels, 1 for a dense layer; N outputs; K patch length): mac layers M*K*N useful
 *   MACs / (R*C*cycles) (a tile uses `rows` of the R rows); xnor layers M*K*N useful bit-ops /
 *   (L*cycles); serial layers M*K*N*Bx*Bw bit-ops / (L*cycles); pool layers elements / cycles (one per
 *   cycle at best), ops = M*C*(kh*kw - 1) compares.
 * Time: latency = cycles / f. The host port moves one 32-bit word per cycle while the accelerator is idle
 *   (not overlapped): ioCycles = input words + output words; inferences/s = f / (cycles + ioCycles), and
 *   f / cycles with the I/O hidden (`computeInferencesPerSecond`).
 *
 * On-chip buffer accesses per inference, counted from accel_top's behaviour:
 *   weight memory: one word (wordBits wide) per issued beat — mac: G*K beats; xnor/serial:
 *     G*Bx*Bw*Wd words (Bx = Bw = 1 for xnor); pool: none;
 *   activation buffer reads: mac: HBits per beat and array row in use; xnor/serial: L bits per word;
 *     pool: kh*kw elements per output element;
 *   parameter rows: one row of bmem/mmem/smem/tmem per issue group (G per layer; pool none), each row
 *     C*(32 + 32 + 6 + 32*steps) bits; with per-group weight scales also one gmem row of C*B bits per
 *     pass and issue group (G*P; B = accumulator.group.multiplierBits), counted in paramBits;
 *   output writes: one per output element (M*N per layer) of the layout's width (slots: HBits; planes: one
 *     bit per plane; the output buffer: 32 bits); plus the host's input words written and output words read.
 * Off-chip traffic: weights, parameters and layer descriptors are loaded once and stay resident (the
 *   compiler checked they fit); each inference moves its input words in and its output words out. Per
 *   inference the one-time load is amortised over `batch` inferences.
 * Energy per inference (pJ, `EnergyTable`, default Horowitz 45 nm; see energy.ts for bit-width scaling):
 *   compute: mac M*K*N * E_mac(a, w, acc); xnor M*K*N * E_xnor; serial M*K*N*Bx*Bw * E_xnor; pool
 *     M*C*(kh*kw - 1) * E_add(32) (compares);
 *   accumulate (XNOR unit): one E_add(min(acc, 32)) per issued word; (MAC array with chunked
 *     accumulation, `accumulator.chunk` = {length L, wideBits B}) one E_add(B) per chunk and output,
 *     M*N*ceil(K/L), the narrow register's adds being the E_mac(a, w, acc) above; (per-group weight
 *     scales, P passes per patch) one E_mul(32 x B) + E_add(32) per pass and output,
 *     M*N*P, in the group_scale lanes;
 *   output stage per output: bias E_add(32), then requant double/single E_mul(32x32) + 2 E_add(32),
 *     shift 2 E_add(32), threshold steps * E_add(32) (compares), raw nothing;
 *   window (a model with conv2d / maxpool2d layers, whose accelerator has the sliding-window generator;
 *     0 for an MLP, as its area): the address walk's adds (window.ts) * E_add(32), every layer;
 *   SRAM: every bit read or written above * E_sram/bit; DRAM: off-chip bits per inference * E_dram/bit.
 *   Idle PEs are assumed clock-gated (no energy).
 */
export interface LayerEstimate {
  name: string;
  engine: AccelLayer['engine'];
  /** output pixels (1 for a dense layer), patch length (pool: window size), outputs per pixel */
  M: number;
  /**
   * line buffer a streaming window generator over this layer's input would need: ((kh - 1) W + kw) C
   * elements of the input layout's width (accel_top reads its register-file buffers in place instead)
   */
  lineBufferBits: number;
  K: number;
  N: number;
  cycles: number;
  /** useful MACs (mac) or bit-ops (xnor/serial) */
  ops: number;
  utilization: number;
  sram: SramCounts;
  energyPJ: { compute: number; accumulate: number; outputStage: number; window: number; sram: number };
}

export interface SramCounts {
  weightWords: number;
  weightBits: number;
  activationBits: number;
  paramRows: number;
  paramBits: number;
  outputWrites: number;
  outputBits: number;
}

export interface EnergyBreakdown {
  table: string;
  computePJ: number;
  accumulatePJ: number;
  outputStagePJ: number;
  windowPJ: number;
  sramPJ: number;
  dramPJ: number;
  totalPJ: number;
  /** the one-time weight/parameter load, not amortised */
  weightLoadPJ: number;
}

export interface NetworkEstimate {
  model: string;
  design: string;
  array: string;
  clockMHz: number;
  batch: number;
  layers: LayerEstimate[];
  cycles: number;
  ioCycles: number;
  utilization: number;
  ops: number;
  latencySeconds: number;
  inferencesPerSecond: number;
  computeInferencesPerSecond: number;
  sram: SramCounts & { hostInputBits: number; hostOutputBits: number; totalBits: number };
  offchip: { weightLoadBits: number; inputBits: number; outputBits: number; perInferenceBits: number };
  memory: MemoryEstimate;
  energy: EnergyBreakdown;
}

export interface MemoryEstimate {
  /** the model's tensors in their own formats vs FP32/FP16 (memory.ts) */
  model: ModelMemory;
  /** the accelerator's memories as the compiler lays them out */
  weightMemoryBits: number;
  paramMemoryBits: number;
  programBits: number;
  activationBufferBits: number;
  outputBufferBits: number;
  /** weight-memory bits vs the same weights at FP32 / FP16 */
  weightSavingVsFp32: number;
  weightSavingVsFp16: number;
}

export interface EstimateOptions {
  energy?: EnergyTable;
  /**
   * the batch: inferences the one-time weight load is amortised over (default 1); the compiler also puts
   * min(batch, R) images (MLP) or output pixels of a conv layer (CNN) on the array rows
   */
  batch?: number;
}

/** Bits of one parameter row (bias, multiplier, shift, thresholds for all C lanes). */
export function paramRowBits(p: AccelProgram): number {
  return geometry(p.design).C * (32 + 32 + 6 + 32 * p.steps);
}

function writeBits(l: Layout): number {
  return l.kind === 'slots' ? l.slotBits : l.kind === 'planes' ? l.planes : 32;
}

/** Issued beats (mac) or words (xnor/serial) of a layer per run: one weight-memory read each (pool: 0). */
export function layerIssues(l: AccelLayer): number {
  if (l.engine === 'mac') return l.groups * l.K;
  if (l.engine === 'pool') return 0;
  const planes = l.engine === 'serial' ? formatBits(l.xFormat) * formatBits(l.wFormat) : 1;
  return l.groups * planes * l.wd;
}

/** Output elements of a layer per run. */
function layerOutputs(l: AccelLayer): number {
  return l.win.Ho * l.win.Wo * l.N;
}

/** Useful MACs or bit-ops (pool: compares) of a layer per run. */
function layerOps(l: AccelLayer): number {
  if (l.engine === 'pool') return layerOutputs(l) * (l.K - 1);
  const planes = l.engine === 'serial' ? formatBits(l.xFormat) * formatBits(l.wFormat) : 1;
  return layerOutputs(l) * l.K * planes;
}

function outputStageEnergy(l: AccelLayer, p: AccelProgram, t: EnergyTable): number {
  const a32 = addEnergy(t, 32);
  const st = l.stage;
  if (l.engine === 'pool') return 0;
  let per = a32; // bias
  if (st.kind === 'requant') per += p.design.requant.mode === 'shift' ? 2 * a32 : mulEnergy(t, 32, 32) + 2 * a32;
  else if (st.kind === 'threshold') per += st.steps * a32;
  return layerOutputs(l) * per;
}

/** Per-layer and total estimates of a compiled program. */
export function estimateProgram(p: AccelProgram, model: QuantizedModel, opts: EstimateOptions = {}): NetworkEstimate {
  const t = opts.energy ?? HOROWITZ_45NM;
  const batch = opts.batch ?? 1;
  if (!Number.isInteger(batch) || batch < 1) throw badValue('batch', batch, 'an integer >= 1');
  const d = p.design;
  const g = geometry(d);
  const rowBits = paramRowBits(p);
  const eSram = sramEnergyPerBit(t);
  const xAcc = Math.min(d.accumulator.bits, 32);
  const per = 1 / p.images;
  const windowed = hasWindowLayers(model);
  const layers: LayerEstimate[] = p.layers.map((l) => {
    const cycles = layerCycles(l, p) * per;
    const issues = layerIssues(l) * per;
    const ops = layerOps(l) * per;
    const outs = layerOutputs(l) * per;
    const prows = l.engine === 'pool' ? 0 : l.groups * per;
    const grows = l.wgroup ? l.groups * l.wgroup.passes * per : 0;
    const actRead = l.engine === 'mac' ? issues * g.hBits * l.rows : l.engine === 'pool' ? outs * l.K * writeBits(l.inLayout) : issues * g.L;
    const sram: SramCounts = {
      weightWords: issues,
      weightBits: issues * p.wordBits,
      activationBits: actRead,
      paramRows: prows,
      paramBits: prows * rowBits + grows * groupRowBits(p),
      outputWrites: outs,
      outputBits: outs * writeBits(l.outLayout),
    };
    const compute = l.engine === 'mac' ? ops * peMacEnergy(t, d) : l.engine === 'pool' ? ops * addEnergy(t, 32) : ops * xnorMacEnergy(t);
    const accumulate = l.engine === 'pool' ? 0 : l.engine === 'mac'
      ? chunkAdds(l, ops, d) * addEnergy(t, d.accumulator.chunk?.wideBits ?? 0) + groupScales(l, ops) * (mulEnergy(t, 32, d.accumulator.group?.multiplierBits ?? 0) + addEnergy(t, 32))
      : issues * addEnergy(t, xAcc);
    const sramBits = sram.weightBits + sram.activationBits + sram.paramBits + sram.outputBits;
    return {
      name: l.name, engine: l.engine, K: l.K, N: l.N, M: l.win.Ho * l.win.Wo, cycles, ops,
      lineBufferBits: l.win.kh * l.win.kw > 1 ? lineBufferBits(l.win, writeBits(l.inLayout)) : 0,
      utilization: l.engine === 'pool' ? outs / cycles : ops / ((l.engine === 'mac' ? g.R * g.C : g.L) * cycles),
      sram,
      energyPJ: {
        compute, accumulate, outputStage: outputStageEnergy(l, p, t) * per,
        window: windowed ? windowAdds(l, layerIssues(l)) * per * addEnergy(t, 32) : 0, sram: sramBits * eSram,
      },
    };
  });
  const cycles = inferenceCycles(p);
  const l0 = p.layers[0];
  const inWords = Math.ceil(layoutBits(l0.inLayout, l0.win.H * l0.win.W * l0.win.C) / 32) * per;
  const outWords = p.outputElems;
  const ioCycles = inWords + outWords;
  const f = d.clockMHz * 1e6;
  const sum = (fn: (l: LayerEstimate) => number): number => layers.reduce((a, l) => a + fn(l), 0);
  const sramTot = {
    weightWords: sum((l) => l.sram.weightWords), weightBits: sum((l) => l.sram.weightBits),
    activationBits: sum((l) => l.sram.activationBits), paramRows: sum((l) => l.sram.paramRows),
    paramBits: sum((l) => l.sram.paramBits), outputWrites: sum((l) => l.sram.outputWrites), outputBits: sum((l) => l.sram.outputBits),
    hostInputBits: 32 * inWords, hostOutputBits: 32 * outWords, totalBits: 0,
  };
  sramTot.totalBits = sramTot.weightBits + sramTot.activationBits + sramTot.paramBits + sramTot.outputBits + sramTot.hostInputBits + sramTot.hostOutputBits;
  const weightMemoryBits = p.wDepth * p.wordBits;
  const paramMemoryBits = p.pDepth * rowBits + (d.accumulator.group ? p.gDepth * groupRowBits(p) : 0);
  const programBits = p.layers.length * DESCRIPTOR_FIELDS * 32;
  const weightLoadBits = weightMemoryBits + paramMemoryBits + programBits;
  const offchip = { weightLoadBits, inputBits: 32 * inWords, outputBits: 32 * outWords, perInferenceBits: 32 * (inWords + outWords) + weightLoadBits / batch };
  const mm = modelMemory(model);
  const weights = mm.layers.reduce((a, l) => a + l.weights, 0);
  const eDram = dramEnergyPerBit(t);
  const computePJ = sum((l) => l.energyPJ.compute);
  const accumulatePJ = sum((l) => l.energyPJ.accumulate);
  const outputStagePJ = sum((l) => l.energyPJ.outputStage);
  const windowPJ = sum((l) => l.energyPJ.window);
  const sramPJ = sramTot.totalBits * eSram;
  const dramPJ = offchip.perInferenceBits * eDram;
  return {
    model: model.name, design: d.name, array: `${d.array.rows}x${d.array.cols}`, clockMHz: d.clockMHz, batch, layers,
    cycles, ioCycles,
    utilization: sum((l) => l.utilization * l.cycles) / cycles,
    ops: sum((l) => l.ops),
    latencySeconds: cycles / f,
    inferencesPerSecond: f / (cycles + ioCycles),
    computeInferencesPerSecond: f / cycles,
    sram: sramTot,
    offchip,
    memory: {
      model: mm, weightMemoryBits, paramMemoryBits, programBits,
      activationBufferBits: 2 * p.actBits, outputBufferBits: 32 * p.outDepth,
      weightSavingVsFp32: (32 * weights) / weightMemoryBits, weightSavingVsFp16: (16 * weights) / weightMemoryBits,
    },
    energy: {
      table: t.name, computePJ, accumulatePJ, outputStagePJ, windowPJ, sramPJ, dramPJ,
      totalPJ: computePJ + accumulatePJ + outputStagePJ + windowPJ + sramPJ + dramPJ,
      weightLoadPJ: weightLoadBits * eDram,
    },
  };
}

/** Chunk-into-wide adds of a mac layer per inference: ops / K outputs, ceil(K / L) chunks each (0 unchunked). */
function chunkAdds(l: AccelLayer, ops: number, d: Design): number {
  const c = d.accumulator.chunk;
  return c ? (ops / l.K) * Math.ceil(l.K / c.length) : 0;
}

/** Group-multiplier scalings of a mac layer per inference: ops / K outputs, P passes each (0 ungrouped). */
function groupScales(l: AccelLayer, ops: number): number {
  return l.wgroup ? (ops / l.K) * groupPasses(l) : 0;
}

/** Bits of one group-multiplier memory row: C lanes of multiplierBits (0 without group multipliers). */
export function groupRowBits(p: AccelProgram): number {
  return geometry(p.design).C * (p.design.accumulator.group?.multiplierBits ?? 0);
}

/** Compiles `model` onto `design` and estimates it. */
export function estimateNetwork(model: QuantizedModel, design: Design, opts: EstimateOptions = {}): NetworkEstimate {
  return estimateProgram(compileModel(model, design, { batch: opts.batch ?? 1 }), model, opts);
}
