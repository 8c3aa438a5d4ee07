import type { ArgumentsCamelCase } from 'yargs';
import type { EstimateArgs } from '../args/estimate.js';
import { formatBits } from '../../arith/format.js';
import { deriveDesign, operandName, type Design } from '../../hw/design.js';
import { estimateGemm, type GemmCost } from '../../hw/cost.js';
import { scaleSimCycles, writeScaleSim } from '../../hw/scalesim.js';
import { peKind } from '../../hw/pe_kind.js';
import { HOROWITZ_45NM, dramEnergyPerBit, peMacEnergy, sramEnergyPerBit, xnorMacEnergy } from '../../estimate/energy.js';
import { InputError } from '../../util/errors.js';
import { given, givenOn, notApplicable } from '../options.js';
import { designFromArgv, parseShape } from './simulate.js';
import { estimateModelWorkload } from './estimate_model.js';
import { estimateWeightOnlyCommand } from './weight_only_run.js';
import { weightOnlyPath } from '../../model/locate.js';

/**
 * `lowbit estimate`: throughput, memory and energy of a workload on a Design, from the analytic cost model
 * (`estimateGemm`, equal to the cycle-stepped model's count) — no simulation.
 *
 * Workloads: `--gemm M,K,N` (one GEMM, `estimateGemmWorkload` here) and `--model <dir>` (a QuantizedModel
 * layer by layer, estimate_model.ts); `handler` dispatches on which one is given. A weight-only model has no
 * Design (float activations): its reference kernel's MACs, memory and energy (weight_only_run.ts).
 *
 * Energy (pJ, Horowitz 45 nm table via src/estimate/energy.ts):
 *   compute = M K N * E_mac(w, a, acc)   (E_xnor for a bipolar x bipolar design; the shift PE's E_mac for
 *             array.pe "shift" / --pe shift, estimate/energy.ts)
 *   sram    = (weightReads * wBits + activationReads * aBits + (outputReads + outputWrites) * accBits) * E_sram/bit
 *   dram    = offchip bytes * 8 * E_dram/bit
 */

export interface GemmEnergy {
  computePJ: number;
  sramPJ: number;
  dramPJ: number;
  totalPJ: number;
  pJPerMac: number;
}

/** Energy of one GEMM from its cost (see the file header). */
export function gemmEnergy(design: Design, c: GemmCost): GemmEnergy {
  const t = HOROWITZ_45NM;
  const dd = deriveDesign(design);
  const w = formatBits(design.weight);
  const a = formatBits(design.activation);
  const acc = design.accumulator.bits;
  const computePJ = c.macs * (dd.xnor ? xnorMacEnergy(t) : peMacEnergy(t, design));
  const b = c.buffers;
  const sramPJ = (b.weightReads * w + b.activationReads * a + (b.outputReads + b.outputWrites) * acc) * sramEnergyPerBit(t);
  const dramPJ = c.offchip.totalBytes * 8 * dramEnergyPerBit(t);
  const totalPJ = computePJ + sramPJ + dramPJ;
  return { computePJ, sramPJ, dramPJ, totalPJ, pJPerMac: totalPJ / c.macs };
}

function estimateGemmWorkload(design: Design, argv: EstimateArgs): void {
  const { M, K, N } = parseShape('gemm', argv.gemm!);
  const c = estimateGemm(design, M, K, N);
  const ss = scaleSimCycles(design, M, K, N);
  const energy = gemmEnergy(design, c);
  const dd = deriveDesign(design, K);
  const files = argv['scalesim-dir'] ? writeScaleSim(argv['scalesim-dir'], design, [{ name: 'gemm', M, K, N }]) : undefined;
  const result = {
    design: design.name, array: `${design.array.rows}x${design.array.cols}`, dataflow: design.array.dataflow,
    weight: operandName(design.weight), activation: operandName(design.activation),
    accumulator: { ...design.accumulator, bitsNeeded: dd.accBitsForK, overflowPossible: dd.overflowPossible },
    clockMHz: design.clockMHz, peakOpsPerSecond: dd.peakOpsPerSecond,
    gemm: { M, K, N }, cost: c, scaleSim: ss, energy,
    ...(files ? { scaleSimFiles: files } : {}),
  };
  if (argv.json) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return;
  }
  const f = c.footprint;
  const kb = (x: number): string => `${(x / 1024).toFixed(1)} KiB`;
  const lines = [
    `design        ${design.name}: ${result.array} ${result.dataflow}, ${result.weight} x ${result.activation}, acc ${design.accumulator.bits}-bit ${design.accumulator.overflow}, ${design.clockMHz} MHz${peKind(design) === 'shift' ? ', shift PE (multiplier-free)' : ''}`,
    `gemm          M=${M} K=${K} N=${N}: ${c.macs} MACs; K=${K} needs a ${dd.accBitsForK}-bit accumulator${dd.overflowPossible ? ' (overflow possible)' : ''}`,
    `cycles        ${c.cycles} in ${c.folds} folds (SCALE-Sim v2 formula: ${ss.cycles}, it reports last cycle ${ss.reportedLastCycle})`,
    `utilization   ${(100 * c.utilization).toFixed(2)} %`,
    `latency       ${(c.latencySeconds * 1e6).toFixed(3)} us (${c.boundBy} bound; compute ${(c.computeLatencySeconds * 1e6).toFixed(3)} us, off-chip ${c.offchip.cycles.toFixed(0)} cycles)`,
    `throughput    ${(c.macsPerSecond / 1e9).toFixed(3)} GMAC/s, ${c.gemmsPerSecond.toFixed(1)} GEMMs/s (array peak ${(dd.peakOpsPerSecond / 2e9).toFixed(1)} GMAC/s)`,
    `buffers       reads: W ${c.buffers.weightReads}, A ${c.buffers.activationReads}, Y ${c.buffers.outputReads}; Y writes ${c.buffers.outputWrites}`,
    `off-chip      ${kb(c.offchip.totalBytes)} (W ${kb(c.offchip.weightBytes)}${c.offchip.weightsFit ? ' fits' : ' streamed'}, A ${kb(c.offchip.activationBytes)}${c.offchip.activationsFit ? ' fits' : ' streamed'}, Y ${kb(c.offchip.outputBytes)})`,
    `memory        ${kb(f.totalBytes)} in the design's formats vs ${kb(f.fp32Bytes)} FP32: ${f.ratio.toFixed(2)}x smaller`,
    `energy        ${(energy.totalPJ / 1e6).toFixed(3)} uJ (compute ${(energy.computePJ / 1e6).toFixed(3)}, SRAM ${(energy.sramPJ / 1e6).toFixed(3)}, DRAM ${(energy.dramPJ / 1e6).toFixed(3)}), ${energy.pJPerMac.toFixed(3)} pJ/MAC, 45 nm`,
  ];
  if (files) lines.push(`scale-sim     wrote ${files.cfg} and ${files.topology}; run: ${files.command}`);
  process.stdout.write(lines.join('\n') + '\n');
}

/** Runs `lowbit estimate` (its options: cli/args/estimate.ts). */
export function estimateHandler(argv: ArgumentsCamelCase<EstimateArgs>): void {
  const wo = argv.model !== undefined && argv.gemm === undefined ? weightOnlyPath(argv.model) : null;
  if (wo !== null) return void estimateWeightOnlyCommand(argv, wo);
  const design = designFromArgv(argv);
  if (argv.pe === 'multiplier' || argv.pe === 'shift') design.array.pe = argv.pe;
  if (argv.pe === 'auto' && argv.gemm !== undefined) throw new InputError('estimate: --pe auto chooses the PE from a model\'s weights; it applies to --model (for --gemm give --pe multiplier or --pe shift)');
  if (argv.gemm !== undefined && argv.model !== undefined) throw new InputError('estimate: give one workload, --gemm M,K,N or --model, not both');
  if (argv.gemm !== undefined) {
    for (const o of ['energy', 'area', 'batch', 'accuracy', 'images'] as const) notApplicable(`--${o}`, givenOn(o, argv[o]), 'it applies to --model (a whole network), not to --gemm');
    return estimateGemmWorkload(design, argv);
  }
  notApplicable('--images', given('images') && !argv.accuracy, 'it counts the images of --accuracy', 'add --accuracy or remove it');
  if (argv.model !== undefined) {
    if (argv['scalesim-dir'] !== undefined) throw new InputError('estimate: --scalesim-dir writes the SCALE-Sim files of one GEMM; it applies to --gemm M,K,N, not to --model');
    return estimateModelWorkload(design, argv);
  }
  throw new InputError('estimate: name a workload: --gemm M,K,N or --model models/NAME');
}
