import type { EstimateModelArgs } from '../args/estimate.js';
import type { Design, PeKind } from '../../hw/design.js';
import { choosePe } from '../../hw/accel_compile.js';
import { peKind } from '../../hw/pe_kind.js';
import { loadModel } from '../../model/locate.js';
import type { QuantizedModel } from '../../model/types.js';
import { estimateNetwork } from '../../estimate/network.js';
import { estimateArea, type ModelEstimateResult } from '../../estimate/area.js';
import { withPresetHint } from '../../hw/preset_hint.js';
import { hasWindowLayers } from '../../hw/conv_window.js';

export type { ModelEstimateResult };
import { HOROWITZ_45NM, loadEnergyTable, peMacEnergy } from '../../estimate/energy.js';
import { markdownTable } from '../../report/document.js';
import { checkInt } from '../../util/errors.js';
import { acceleratorAccuracy } from '../../explore/evaluate.js';
import { modelAccWidths, type ModelAccWidths } from '../../estimate/accumulators.js';

/**
 * The `--model` branch of `lowbit estimate`: a QuantizedModel compiled onto the Design, per layer and in
 * total (src/estimate/network.ts states every formula), plus Yosys area of the compute units
 * (src/estimate/area.ts) unless `--no-area`.
 */
/** Runs the estimate (library use: sweeps call this in workers). */
/**
 * The PE of the estimate: `kind` (the Design's array.pe, or `choosePe` with `--pe auto`), `allowsShift` (every MAC
 * layer's weights have a shift-PE code, so both PEs run the same engines) and the MAC-array compute energy of the
 * model on each PE kind (pJ per inference; `shift` only when allowed).
 */
export interface PeSummary {
  kind: PeKind;
  auto: boolean;
  allowsShift: boolean;
  macComputePJ: { multiplier: number; shift?: number };
}

type ModelEstimate = ModelEstimateResult & { accuracy?: number; accuracyImages?: number; accumulators?: ModelAccWidths; pe: PeSummary };

export function estimateModelDir(modelArg: string, designIn: Design, opts: { energy?: string; area: boolean; batch: number; accuracy?: boolean; images?: number; pe?: 'auto' }): ModelEstimate {
  const model = loadModel(modelArg);
  try {
    return estimateModel(model, designIn, opts);
  } catch (e) {
    throw withPresetHint(e, model, designIn);
  }
}

function estimateModel(model: QuantizedModel, designIn: Design, opts: { energy?: string; area: boolean; batch: number; accuracy?: boolean; images?: number; pe?: 'auto' }): ModelEstimate {
  const allowsShift = choosePe(model, designIn) === 'shift';
  const kind = opts.pe === 'auto' ? (allowsShift ? 'shift' : 'multiplier') : peKind(designIn);
  const design: Design = { ...designIn, array: { ...designIn.array, pe: kind } };
  const energy = opts.energy !== undefined ? loadEnergyTable(opts.energy) : HOROWITZ_45NM;
  const e = estimateNetwork(model, design, { energy, batch: checkInt('--batch', opts.batch, 1, 2 ** 40) });
  // 0 (not given) = every test image; a typed --images counts at least one
  const images = opts.images === undefined ? 0 : checkInt('--images', opts.images, 1, 10000);
  const acc = opts.accuracy ? acceleratorAccuracy(model, design, images, 1) : undefined;
  const macOps = e.layers.reduce((a, l) => a + (l.engine === 'mac' ? l.ops : 0), 0);
  const pe: PeSummary = {
    kind, auto: opts.pe === 'auto', allowsShift,
    macComputePJ: { multiplier: macOps * peMacEnergy(energy, design, 'multiplier'), ...(allowsShift ? { shift: macOps * peMacEnergy(energy, design, 'shift') } : {}) },
  };
  return {
    ...e, pe, area: opts.area ? estimateArea(design, hasWindowLayers(model)) : { skipped: 'not requested (--no-area)' },
    accumulators: modelAccWidths(model, design.accumulator.chunk?.length),
    ...(acc ? { accuracy: acc.accuracy, accuracyImages: acc.images } : {}),
  };
}

const fx = (x: number, d = 2): string => x.toFixed(d);
const kib = (bits: number): string => `${(bits / 8192).toFixed(2)} KiB`;

export function formatModelEstimate(r: ModelEstimate, design: Design): string {
  const rows = r.layers.map((l) => [
    l.name, l.engine === 'mac' && r.pe.kind === 'shift' ? 'mac (shift PE)' : l.engine, l.M, l.K, l.N, l.cycles, `${fx(100 * l.utilization)} %`, l.sram.weightWords, l.sram.activationBits, l.lineBufferBits, l.sram.paramRows,
    l.sram.outputWrites, fx((l.energyPJ.compute + l.energyPJ.accumulate + l.energyPJ.outputStage + l.energyPJ.window + l.energyPJ.sram) / 1e3, 3),
  ]);
  const table = markdownTable({
    columns: ['layer', 'engine', 'pixels', 'K', 'N', 'cycles', 'util', 'W words', 'A bits', 'line buf bits', 'P rows', 'writes', 'on-chip nJ'],
    rows,
  });
  const m = r.memory;
  const e = r.energy;
  const lines = [
    `model ${r.model} on ${design.name}: ${r.array} array, ${design.xnor.bitsPerCycle} XNOR lanes, ${design.clockMHz} MHz`,
    '',
    table,
    '',
    `cycles        ${r.cycles} per inference (exact: the accelerator model and accel_top.sv), utilization ${fx(100 * r.utilization)} %`,
    `latency       ${fx(r.latencySeconds * 1e6, 3)} us; ${fx(r.computeInferencesPerSecond, 0)} inferences/s compute-bound, ${fx(r.inferencesPerSecond, 0)} with host I/O (${r.ioCycles} cycles)`,
    `on-chip       weight ${r.sram.weightWords} words (${r.sram.weightBits} bits), activations ${r.sram.activationBits} bits, params ${r.sram.paramRows} rows (${r.sram.paramBits} bits), writes ${r.sram.outputWrites} (${r.sram.outputBits} bits), host ${r.sram.hostInputBits}+${r.sram.hostOutputBits} bits`,
    `off-chip      ${kib(r.offchip.weightLoadBits)} loaded once (weights, parameters, program); per inference ${r.offchip.inputBits} bits in, ${r.offchip.outputBits} out; ${fx(r.offchip.perInferenceBits, 1)} bits/inference at batch ${r.batch}`,
    `memory        weights ${kib(m.model.layers.reduce((a, l) => a + l.weightBits, 0))} in the model's formats; parameters total ${kib(m.model.parameterBits)} vs FP32 ${kib(m.model.fp32Bits)} (${fx(m.model.savingVsFp32)}x) and FP16 ${kib(m.model.fp16Bits)} (${fx(m.model.savingVsFp16)}x)`,
    `accelerator   weight memory ${kib(m.weightMemoryBits)} (${fx(m.weightSavingVsFp32)}x smaller than FP32 weights), parameter memory ${kib(m.paramMemoryBits)}, activation buffers ${kib(m.activationBufferBits)}, peak activations ${m.model.peakActivationBits} bits (FP32 ${m.model.peakActivationBitsFp32}, FP16 ${m.model.peakActivationBitsFp32 / 2})`,
    `energy        ${fx(e.totalPJ / 1e3, 3)} nJ/inference: compute ${fx(e.computePJ / 1e3, 3)}, accumulate ${fx(e.accumulatePJ / 1e3, 3)}, output stage ${fx(e.outputStagePJ / 1e3, 3)}, window ${fx(e.windowPJ / 1e3, 3)}, SRAM ${fx(e.sramPJ / 1e3, 3)}, DRAM ${fx(e.dramPJ / 1e3, 3)} (${e.table}); one-time load ${fx(e.weightLoadPJ / 1e3, 3)} nJ`,
  ];
  lines.push(formatPe(r.pe));
  if (r.accumulators) lines.push(...formatAccWidths(r.accumulators, design));
  if (r.accuracy !== undefined) lines.push(`accuracy      ${fx(100 * r.accuracy)} % on ${r.accuracyImages} MNIST test images (TS accelerator, bit-exact with the RTL)`);
  const a = r.area;
  if ('skipped' in a) lines.push(`area          skipped: ${a.skipped}`);
  else {
    lines.push(`area          ${a.gates} generic gates, ${a.flipFlops} flip-flops, ${a.luts} LUT6 (${a.yosys}; memories above as SRAM bits)`);
    for (const c of a.components) {
      const top = Object.entries(c.cells).sort((x, y) => y[1] - x[1]).slice(0, 4).map(([t, n]) => `${t.replace(/^\$_|_$/g, '')} ${n}`).join(', ');
      lines.push(`                ${c.count} x ${c.top}: ${c.gates} gates (${top}, ...), ${c.flipFlops} FFs, ${c.luts} LUTs each`);
    }
    lines.push(`                array edge registers: ${a.edgeFlipFlops} FFs`);
  }
  return lines.join('\n') + '\n';
}

export function estimateModelWorkload(design: Design, argv: EstimateModelArgs): void {
  const r = estimateModelDir(argv.model!, design, { energy: argv.energy, area: argv.area, batch: argv.batch, accuracy: argv.accuracy, images: argv.images, pe: argv.pe === 'auto' ? 'auto' : undefined });
  process.stdout.write(argv.json ? JSON.stringify(r, null, 2) + '\n' : formatModelEstimate(r, { ...design, array: { ...design.array, pe: r.pe.kind } }));
}

/** The PE line: which PE kind, why, and the MAC compute energy on both kinds when the weights allow both. */
function formatPe(p: PeSummary): string {
  const nj = (x: number): string => `${fx(x / 1e3, 3)} nJ`;
  const { multiplier, shift } = p.macComputePJ;
  const both = shift !== undefined ? `; MAC compute ${nj(shift)} on the shift PE vs ${nj(multiplier)} on the multiplier PE (${fx(multiplier / Math.max(shift, 1e-30))}x)` : '';
  if (p.kind === 'shift') return `PE            shift (multiplier-free: add/subtract/shift${p.auto ? '; chosen by --pe auto: every MAC layer\'s weights are 0 or ±2^e' : ''})${both}`;
  const why = p.allowsShift ? `; the weights allow the shift PE (--pe shift or auto)` : ' (some MAC layer has weights that are not 0 or ±2^e in the weight format)';
  return `PE            multiplier${why}${both}`;
}

/** The narrowest safe accumulators (estimate/accumulators.ts) against the Design's. */
function formatAccWidths(a: ModelAccWidths, design: Design): string[] {
  const acc = design.accumulator;
  const c = acc.chunk;
  const have = c ? `narrow ${acc.bits} bits over chunks of ${c.length}, wide ${c.wideBits}` : `${acc.bits} bits`;
  const need = c && a.chunk ? `narrow ${a.chunk.bits}, wide ${a.bits}` : `${a.bits} bits`;
  const ok = c && a.chunk ? a.chunk.bits <= acc.bits && a.bits <= c.wideBits : a.bits <= acc.bits;
  const per = a.layers.map((l) => `${l.layer} ${l.bits}${l.chunk ? `/${l.chunk.bits}` : ''} (K ${l.K}, [${l.total.lo}, ${l.total.hi}])`).join(', ');
  return [
    `accumulator   narrowest safe for this model (no input overflows it): ${need}; the Design has ${have} (${ok ? 'safe' : 'NOT safe'}); per layer${c ? ' (wide/narrow)' : ''}: ${per}`,
    `                narrow bits by chunk length: ${a.tradeoff.map((t) => `${t.length}: ${t.bits}`).join(', ')} (docs/estimate.md)`,
  ];
}
