import type { ModelEstimateResult } from '../estimate/area.js';
import type { Report, Section } from './document.js';

/**
 * The report of one or more `lowbit estimate --model ... --json` outputs: a summary table, cycles per
 * layer, throughput vs array size, memory savings by format, the energy breakdown, area, and accuracy vs
 * bits when the estimate files carry an `accuracy` (0..1) field (estimates alone do not measure it).
 */
const r4 = (v: number): number => Number(v.toPrecision(4));

export function isEstimate(x: unknown): x is ModelEstimateResult {
  const o = x as Record<string, unknown> | null;
  return o !== null && typeof o === 'object' && Array.isArray(o.layers) && typeof o.cycles === 'number' && typeof o.energy === 'object';
}

export function estimateReport(runs: (ModelEstimateResult & { accuracy?: number })[], title: string, sources: string[]): Report {
  const label = (e: ModelEstimateResult): string => `${e.model} @ ${e.design}`;
  const sections: Section[] = [];
  sections.push({
    heading: 'Estimates',
    paragraphs: [
      `${runs.length} estimates (${sources.map((s) => `\`${s}\``).join(', ')}). Cycles are exact (the accelerator model, equal to \`hdl/accel_top.sv\`); energy per inference from ${runs[0]?.energy.table ?? 'the table'}; off-chip weights loaded once and amortised over the batch.`,
    ],
    table: {
      columns: ['model', 'design', 'array', 'cycles', 'latency us', 'inf/s', 'util %', 'weight mem KiB', 'vs FP32', 'energy nJ', 'gates', 'LUTs'],
      rows: runs.map((e) => [
        e.model, e.design, e.array, e.cycles, r4(e.latencySeconds * 1e6), r4(e.inferencesPerSecond), r4(100 * e.utilization),
        r4(e.memory.weightMemoryBits / 8192), r4(e.memory.model.savingVsFp32), r4(e.energy.totalPJ / 1e3),
        'skipped' in e.area ? 'skipped' : e.area.gates, 'skipped' in e.area ? '' : e.area.luts,
      ]),
    },
    charts: [{
      id: 'layer_cycles', title: 'cycles per layer', mark: 'bar', x: { field: 'run', type: 'nominal' }, y: { field: 'cycles' }, color: 'layer',
      data: runs.flatMap((e) => e.layers.map((l) => ({ run: label(e), layer: `${l.name} (${l.engine})`, cycles: l.cycles }))),
      tooltip: ['run', 'layer', 'cycles'],
    }],
  });
  const withAcc = runs.filter((e) => typeof e.accuracy === 'number');
  sections.push(withAcc.length > 0
    ? {
      heading: 'Accuracy vs bits',
      charts: [{
        id: 'accuracy_vs_bits', title: 'accuracy vs weight bits', mark: 'point', x: { field: 'weight bits', scale: 'log' }, y: { field: 'accuracy %' }, color: 'run',
        data: withAcc.map((e) => ({ run: label(e), 'weight bits': weightBits(e), 'accuracy %': 100 * e.accuracy! })),
      }],
    }
    : { heading: 'Accuracy vs bits', paragraphs: ['These estimate files carry no accuracy; `lowbit sweep --accuracy` measures it (see the sweep report).'] });
  sections.push({
    heading: 'Throughput vs array size',
    charts: [{
      id: 'throughput_vs_array', title: 'inferences/s vs array PEs', mark: 'point', x: { field: 'PEs', scale: 'log' }, y: { field: 'inferences/s', scale: 'log' }, color: 'model',
      data: runs.map((e) => ({ model: e.model, PEs: e.array.split('x').map(Number).reduce((a, b) => a * b, 1), 'inferences/s': e.inferencesPerSecond })),
    }],
  });
  sections.push({
    heading: 'Memory savings by format',
    paragraphs: ['Parameter memory of each model in its own formats against FP32 and FP16 storage of the same tensors.'],
    charts: [{
      id: 'memory_savings', title: 'parameter memory saving vs FP32 / FP16', mark: 'bar', x: { field: 'model', type: 'nominal' }, y: { field: 'saving (x)' }, group: 'baseline',
      data: uniqueBy(runs, (e) => e.model).flatMap((e) => [
        { model: e.model, baseline: 'vs FP32', 'saving (x)': e.memory.model.savingVsFp32 },
        { model: e.model, baseline: 'vs FP16', 'saving (x)': e.memory.model.savingVsFp16 },
      ]),
    }],
  });
  sections.push({
    heading: 'Energy breakdown',
    paragraphs: ['Energy per inference by component: MACs / XNOR bit-ops at their operand widths, XNOR-unit accumulation, output stage, SRAM and DRAM bits.'],
    charts: [{
      id: 'energy_breakdown', title: 'energy per inference (nJ) by component', mark: 'bar', x: { field: 'run', type: 'nominal' }, y: { field: 'nJ' }, color: 'component',
      data: runs.flatMap((e) => (['computePJ', 'accumulatePJ', 'outputStagePJ', 'windowPJ', 'sramPJ', 'dramPJ'] as const).map((k) => ({ run: label(e), component: k.replace('PJ', ''), nJ: e.energy[k] / 1e3 }))),
      tooltip: ['run', 'component', 'nJ'],
    }],
  });
  const areaRows = runs.filter((e) => !('skipped' in e.area));
  if (areaRows.length > 0) {
    sections.push({
      heading: 'Area (Yosys)',
      paragraphs: ['Compute units synthesized with the Design\'s parameters (R*C mac_pe + edge registers, C lane requantizers, one xnor_popcount); memories are counted as SRAM bits above.'],
      table: {
        columns: ['run', 'unit', 'count', 'gates each', 'FFs each', 'LUTs each'],
        rows: areaRows.flatMap((e) => ('skipped' in e.area ? [] : e.area.components.map((c) => [label(e), c.top, c.count, c.gates, c.flipFlops, c.luts]))),
      },
    });
  }
  return { title, sections, data: { sources, runs } };
}

function weightBits(e: ModelEstimateResult): number {
  const l = e.memory.model.layers.filter((x) => x.weights > 0);
  return l.reduce((a, x) => a + x.weightBits, 0) / l.reduce((a, x) => a + x.weights, 0);
}

function uniqueBy<T>(xs: T[], key: (x: T) => string): T[] {
  const seen = new Set<string>();
  return xs.filter((x) => (seen.has(key(x)) ? false : (seen.add(key(x)), true)));
}
