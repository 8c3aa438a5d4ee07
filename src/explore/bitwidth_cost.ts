/**
 * The hardware cost of a mixed-precision MLP on a Design, in lowbit's own cost terms: the model is compiled
 * (`compileModel`) and estimated (`estimateProgram`) exactly as `lowbit estimate --model` does. Metrics:
 *   cycles  per inference (exact: the accelerator model and accel_top.sv);
 *   energy  pJ per inference (the estimate's total, DRAM weight load amortised over `batch`);
 *   memory  on-chip bits of the weight and parameter memories (weight words x word bits + parameter rows x
 *           row bits, as the compiler lays them out).
 * Each total splits exactly into a per-layer part plus a part every configuration of the network shares:
 *   cycles  = 1 + sum_l cycles_l;
 *   memory  = sum_l (words_l wordBits + prows_l rowBits);
 *   energy  = sum_l (compute + accumulate + output stage + SRAM reads)_l + sum_l (words_l wordBits + prows_l
 *             rowBits) E_dram / batch + the writes of each layer's input (the previous layer's outputs, or
 *             the host's input words with their DRAM transfer: their layout follows the reading layer's
 *             engine; the last layer's writes count with it) + (host output, descriptors / batch: shared),
 * which `modelCost` returns (and `fillCostTable` checks: the shared part is the same in every configuration).
 * Besides the metric, every layer's weight memory m_l = words_l x wordBits (the Design's word width, the same
 * for all layers) is returned: the Design's weight buffer (`buffers.weightBytes`) must hold sum_l m_l, a
 * capacity no per-layer table can express (the search enforces it on the sum, bitwidth.ts). The table is
 * therefore filled on the Design with that capacity lifted (`withoutWeightLimit`), so that a layer choice is
 * infeasible only when no model holding it compiles for another reason.
 * The per-layer table of the Pareto search (bitwidth.ts) is filled from compiled models; every cost the
 * search reports is then re-measured on the whole model.
 */
import { buildNetwork, type ArchName } from '../train/arch.js';
import { exportQuantized } from '../train/export.js';
import { compileModel } from '../hw/accel_compile.js';
import { DESIGN_LIMITS, type Design } from '../hw/design.js';
import { estimateProgram, paramRowBits, type NetworkEstimate } from '../estimate/network.js';
import { dramEnergyPerBit, sramEnergyPerBit, HOROWITZ_45NM, type EnergyTable } from '../estimate/energy.js';
import type { QuantizedModel } from '../model/types.js';
import { CheckFailedError, LowbitError } from '../util/errors.js';
import { configTriples, tripleKey, type BitConfig } from './bitwidth.js';

import { COST_METRICS, type CostMetric } from './cost_metrics.js';
export { COST_METRICS, type CostMetric };

export const METRIC_UNITS: Record<CostMetric, string> = { cycles: 'cycles/inference', energy: 'pJ/inference', memory: 'on-chip weight+parameter bits' };

export interface CostContext {
  design: Design;
  metric: CostMetric;
  /** inferences the one-time weight load is amortised over (energy; `estimate --batch`) */
  batch: number;
  energy?: EnergyTable;
}

export interface ConfigCost {
  total: number;
  /** per weighted layer */
  layers: number[];
  /** the part every configuration shares */
  shared: number;
  /** weight memory bits of each weighted layer (their sum: the estimate's weightMemoryBits) */
  weightBits: number[];
  estimate: NetworkEstimate;
}

/** The Design with the largest weight buffer a Design may have: what fits it apart from the capacity. */
export function withoutWeightLimit(design: Design): Design {
  return { ...design, buffers: { ...design.buffers, weightBytes: DESIGN_LIMITS.bufferBytes[1] } };
}

/** The metric's total, per-layer parts and shared part of a model on the Design. */
export function modelCost(model: QuantizedModel, ctx: CostContext): ConfigCost {
  const p = compileModel(model, ctx.design, { batch: 1 });
  const e = estimateProgram(p, model, { batch: ctx.batch, ...(ctx.energy ? { energy: ctx.energy } : {}) });
  const rowBits = paramRowBits(p);
  const weightBits = p.layers.map((l, i) => ((i + 1 < p.layers.length ? p.layers[i + 1]!.wBase : p.wDepth) - l.wBase) * p.wordBits);
  const mem = p.layers.map((l, i) => weightBits[i]! + l.prows * rowBits);
  const table = ctx.energy ?? HOROWITZ_45NM;
  const eDram = dramEnergyPerBit(table);
  let layers: number[];
  let total: number;
  if (ctx.metric === 'cycles') {
    layers = e.layers.map((l) => l.cycles);
    total = e.cycles;
  } else if (ctx.metric === 'memory') {
    layers = mem;
    total = e.memory.weightMemoryBits + e.memory.paramMemoryBits;
  } else {
    // a layer's output writes take the layout its consumer reads (set by the consumer's engine): they are
    // counted with the consumer, like the host's input words (SRAM + DRAM) with the first layer
    const eSram = sramEnergyPerBit(table);
    const hostIn = e.sram.hostInputBits * eSram + e.offchip.inputBits * eDram;
    const last = e.layers.length - 1;
    layers = e.layers.map((l, i) => {
      const own = l.energyPJ.compute + l.energyPJ.accumulate + l.energyPJ.outputStage + l.energyPJ.window + (l.sram.weightBits + l.sram.activationBits + l.sram.paramBits) * eSram;
      const written = i === 0 ? hostIn : e.layers[i - 1]!.sram.outputBits * eSram;
      return own + written + (i === last ? l.sram.outputBits * eSram : 0) + (mem[i]! * eDram) / ctx.batch;
    });
    total = e.energy.totalPJ;
  }
  const shared = total - layers.reduce((a, b) => a + b, 0);
  return { total, layers, shared, weightBits, estimate: e };
}

/** An MLP of the configuration as a QuantizedModel (untrained weights: the cost depends on formats and shapes). */
export function configModel(arch: ArchName, hidden: number[] | undefined, cfg: BitConfig): QuantizedModel {
  const net = buildNetwork({ arch, ...(hidden ? { hidden } : {}), weights: { method: 'int', bits: 8 }, act: { method: 'pact', bits: 4 }, layerBits: cfg }, 1);
  return exportQuantized(net, 'cost-probe', { tool: 'lowbit autoquant', date: '', source: 'cost probe', accuracy: [], notes: 'untrained: for the cost model only' });
}

export interface CostTable {
  /** c_l by tripleKey */
  cost: Map<string, number>;
  /** m_l (weight memory bits) by tripleKey */
  weightBits: Map<string, number>;
  shared: number;
  /** triples never seen in a model that compiled, with the last compiler message of a model holding them */
  infeasible: Map<string, string>;
  evaluated: number;
}

/**
 * Fills the per-layer cost table for every (layer, input bits, weight bits, output bits) by compiling
 * configurations: each still-unknown triple is placed in a configuration whose other layers prefer
 * triples known to compile (then unknown ones), up to `attempts` configurations per triple; a triple in
 * no compiling configuration is infeasible. `progress` is told each evaluation.
 */
export function fillCostTable(layers: number, wBits: readonly number[], aBits: readonly number[], cost: (cfg: BitConfig) => ConfigCost, attempts = 3, progress?: (done: number) => void): CostTable {
  const table = new Map<string, number>();
  const weightBits = new Map<string, number>();
  const tries = new Map<string, number>();
  const lastError = new Map<string, string>();
  let shared: number | null = null;
  let evaluated = 0;
  const ins = (l: number): number[] => (l === 0 ? [0] : [...aBits]);
  const outs = (l: number): number[] => (l === layers - 1 ? [0] : [...aBits]);
  // the cheapest-to-try neighbour: a known triple first, then an untried one, then any
  const pick = (l: number, aIn: number | null, aOut: number | null): { aIn: number; w: number; aOut: number } => {
    const cands = ins(l).filter((x) => aIn === null || x === aIn).flatMap((i) => wBits.flatMap((w) => outs(l).filter((x) => aOut === null || x === aOut).map((o) => ({ aIn: i, w, aOut: o }))));
    const rank = (c: { aIn: number; w: number; aOut: number }): number => {
      const k = tripleKey(l, c.aIn, c.w, c.aOut);
      return table.has(k) ? 0 : (tries.get(k) ?? 0) === 0 ? 1 : 2 + (tries.get(k) ?? 0);
    };
    return cands.reduce((a, b) => (rank(b) < rank(a) ? b : a));
  };
  for (let round = 0; round < attempts; round++) {
    for (let l = 0; l < layers; l++) {
      for (const aIn of ins(l)) for (const w of wBits) for (const aOut of outs(l)) {
        const key = tripleKey(l, aIn, w, aOut);
        if (table.has(key) || (tries.get(key) ?? 0) > round) continue;
        const cfg: BitConfig = new Array(layers);
        cfg[l] = aOut === 0 ? { w } : { w, a: aOut };
        let want = aIn;
        for (let j = l - 1; j >= 0; j--) {
          const t = pick(j, null, want);
          cfg[j] = { w: t.w, a: t.aOut };
          want = t.aIn;
        }
        want = aOut;
        for (let j = l + 1; j < layers; j++) {
          const t = pick(j, want, null);
          cfg[j] = t.aOut === 0 ? { w: t.w } : { w: t.w, a: t.aOut };
          want = t.aOut;
        }
        const keys = configTriples(cfg);
        for (const k of keys) tries.set(k, (tries.get(k) ?? 0) + 1);
        evaluated++;
        try {
          const c = cost(cfg);
          keys.forEach((k, j) => {
            table.set(k, c.layers[j]!);
            if (weightBits.has(k) && weightBits.get(k) !== c.weightBits[j]) throw new CheckFailedError(`layer choice ${k} takes ${weightBits.get(k)} and ${c.weightBits[j]} weight memory bits in two configurations: the per-layer split is not exact`);
            weightBits.set(k, c.weightBits[j]!);
          });
          if (shared === null) shared = c.shared;
          else if (!closeTo(shared, c.shared)) throw new CheckFailedError(`the shared cost differs between configurations (${shared} vs ${c.shared}): the per-layer split is not exact`);
        } catch (e) {
          if (!(e instanceof LowbitError) || e instanceof CheckFailedError) throw e;
          for (const k of keys) lastError.set(k, e.message);
        }
        progress?.(evaluated);
      }
    }
  }
  const infeasible = new Map<string, string>();
  for (let l = 0; l < layers; l++) for (const aIn of ins(l)) for (const w of wBits) for (const aOut of outs(l)) {
    const k = tripleKey(l, aIn, w, aOut);
    if (!table.has(k)) infeasible.set(k, lastError.get(k) ?? 'not evaluated');
  }
  return { cost: table, weightBits, shared: shared ?? 0, infeasible, evaluated };
}

/** Equal up to float64 rounding of sums of a few hundred terms. */
export function closeTo(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}
