import type { SweepResult } from '../explore/sweep.js';
import { sweepFront, sweepObjectives } from '../explore/front.js';
import type { Report, Section } from './document.js';
import type { Row } from './plot.js';

/**
 * The report of a sweep (results JSON lines): all points, accuracy vs bits, throughput vs array size,
 * memory savings by format, the energy breakdown of the front, and the Pareto front (chart + table).
 * Charts whose metric no point has (e.g. accuracy without `--accuracy`) are replaced by a note.
 */
const n4 = (v: unknown): string | number => (typeof v === 'number' ? (Number.isInteger(v) ? v : Number(v.toPrecision(4))) : String(v ?? ''));
const num = (r: SweepResult, k: string): number | null => (typeof r.metrics[k] === 'number' ? (r.metrics[k] as number) : null);

/** A short label for a point's format: the scheme name, else the model name. */
function schemeOf(r: SweepResult): string {
  return String(r.values.scheme ?? r.metrics.model ?? 'model');
}

export function sweepReport(results: SweepResult[], title: string, source: string): Report {
  const ok = results.filter((r) => r.metrics.error === undefined);
  const failed = results.filter((r) => r.metrics.error !== undefined);
  const front = new Set(sweepFront(results).map((r) => r.index));
  const objectives = sweepObjectives(results);
  const hasAcc = ok.some((r) => num(r, 'accuracy') !== null);
  const sections: Section[] = [];
  const axes = results.length > 0 ? Object.keys(results[0].values) : [];
  sections.push({
    heading: 'Sweep',
    paragraphs: [
      `${results.length} design points from \`${source}\` (space ${results[0]?.space ?? '-'}): axes ${axes.map((a) => `\`${a}\``).join(', ')}.` +
        (failed.length ? ` ${failed.length} points do not compile (e.g. ${failed[0].key}: ${failed[0].metrics.error}).` : ''),
      `Pareto objectives: ${objectives.map((o) => `${o.name} (${o.sense})`).join(', ')}; ${front.size} points are on the front (marked *).`,
    ],
    table: {
      columns: ['#', axes.join(', '), 'engines', 'cycles', 'inf/s', 'util %', 'on-chip KiB', 'energy nJ', 'LUTs', 'accuracy %', 'front'],
      rows: results.map((r) => [
        r.index, Object.values(r.values).join(', '), n4(r.metrics.engines ?? r.metrics.error), n4(r.metrics.cycles), n4(r.metrics.inferencesPerSecond),
        num(r, 'utilization') === null ? '' : n4(100 * num(r, 'utilization')!),
        num(r, 'onChipMemoryBits') === null ? '' : n4(num(r, 'onChipMemoryBits')! / 8192),
        num(r, 'energyPJ') === null ? '' : n4(num(r, 'energyPJ')! / 1e3), n4(r.metrics.luts),
        num(r, 'accuracy') === null ? '' : n4(100 * num(r, 'accuracy')!), front.has(r.index) ? '*' : '',
      ]),
    },
  });
  const rows = (f: (r: SweepResult) => Row | null): Row[] => ok.map(f).filter((x): x is Row => x !== null);
  sections.push(hasAcc
    ? {
      heading: 'Accuracy vs bits',
      paragraphs: ['MNIST test accuracy of each scheme on the TS accelerator (bit-exact with the RTL), against its weight and activation bits.'],
      charts: [{
        id: 'accuracy_vs_bits', title: 'accuracy vs weight bits', mark: 'point', x: { field: 'weight bits', scale: 'log' }, y: { field: 'accuracy %' }, color: 'scheme',
        data: dedupe(rows((r) => ({ 'weight bits': num(r, 'weightBits'), 'activation bits': num(r, 'activationBits'), 'accuracy %': 100 * (num(r, 'accuracy') ?? NaN), scheme: schemeOf(r) }))),
        tooltip: ['scheme', 'weight bits', 'activation bits', 'accuracy %'],
      }],
    }
    : { heading: 'Accuracy vs bits', paragraphs: ['No accuracy in these results (run `lowbit sweep --accuracy`).'] });
  sections.push({
    heading: 'Throughput vs array size',
    paragraphs: ['Inferences per second (host I/O included) against the number of PEs, one line per scheme and XNOR lane count.'],
    charts: [{
      id: 'throughput_vs_array', title: 'inferences/s vs array PEs', mark: 'line', x: { field: 'PEs', scale: 'log' }, y: { field: 'inferences/s', scale: 'log' }, color: 'series',
      data: dedupe(rows((r) => ({ PEs: num(r, 'arrayPEs'), 'inferences/s': num(r, 'inferencesPerSecond'), series: `${schemeOf(r)} L=${r.metrics.lanes}${r.values.clockMHz !== undefined ? ` ${r.values.clockMHz} MHz` : ''}` }))),
      tooltip: ['series', 'PEs', 'inferences/s'],
    }],
  });
  const byScheme = new Map<string, SweepResult>();
  for (const r of ok) if (!byScheme.has(schemeOf(r))) byScheme.set(schemeOf(r), r);
  sections.push({
    heading: 'Memory savings by format',
    paragraphs: ['Parameter memory (weights, biases, requantization and threshold parameters) of each scheme in its own formats, as a saving against FP32 and FP16 storage of the same tensors.'],
    charts: [{
      id: 'memory_savings', title: 'parameter memory saving vs FP32 / FP16', mark: 'bar', x: { field: 'scheme', type: 'nominal' }, y: { field: 'saving (x)' }, group: 'baseline',
      data: [...byScheme.values()].flatMap((r) => [
        { scheme: schemeOf(r), baseline: 'vs FP32', 'saving (x)': num(r, 'savingVsFp32') },
        { scheme: schemeOf(r), baseline: 'vs FP16', 'saving (x)': num(r, 'savingVsFp16') },
      ]),
    }],
    table: { columns: ['scheme', 'model bits', 'FP32 bits', 'vs FP32', 'vs FP16'], rows: [...byScheme.values()].map((r) => [schemeOf(r), n4(r.metrics.modelParameterBits), n4(r.metrics.fp32Bits), n4(r.metrics.savingVsFp32), n4(r.metrics.savingVsFp16)]) },
  });
  const frontRows = ok.filter((r) => front.has(r.index)).slice(0, 16);
  sections.push({
    heading: 'Energy breakdown',
    paragraphs: ['Energy per inference of the Pareto-front points (up to 16), by component (Horowitz 45 nm table, see the lowbit docs, estimate.md); DRAM includes the weight load amortised over the batch.'],
    charts: [{
      id: 'energy_breakdown', title: 'energy per inference (nJ) by component', mark: 'bar', x: { field: 'point', type: 'nominal' }, y: { field: 'nJ' }, color: 'component',
      data: frontRows.flatMap((r) => (['computePJ', 'accumulatePJ', 'outputStagePJ', 'windowPJ', 'sramPJ', 'dramPJ'] as const).map((k) => ({ point: `#${r.index}`, component: k.replace('PJ', ''), nJ: (num(r, k) ?? 0) / 1e3 }))),
      tooltip: ['point', 'component', 'nJ'],
    }],
  });
  const yField = hasAcc ? 'accuracy %' : 'energy nJ';
  sections.push({
    heading: 'Pareto front',
    paragraphs: [`Every point, inferences/s against ${hasAcc ? 'accuracy' : 'energy per inference'}; points on the front over all objectives are marked.`],
    charts: [{
      id: 'pareto_front', title: `Pareto front: ${yField} vs inferences/s`, mark: 'point', x: { field: 'inferences/s', scale: 'log' }, y: { field: yField, ...(hasAcc ? {} : { scale: 'log' as const }) }, color: 'on front',
      data: ok.map((r) => ({ 'inferences/s': num(r, 'inferencesPerSecond'), [yField]: hasAcc ? 100 * (num(r, 'accuracy') ?? NaN) : (num(r, 'energyPJ') ?? NaN) / 1e3, 'on front': front.has(r.index) ? 'yes' : 'no', point: r.key })),
      tooltip: ['point', 'inferences/s', yField],
    }],
    table: {
      columns: ['#', 'point', ...objectives.map((o) => `${o.name} (${o.sense})`)],
      rows: ok.filter((r) => front.has(r.index)).map((r) => [r.index, r.key, ...objectives.map((o) => n4(r.metrics[o.name]))]),
    },
  });
  return { title, sections, data: { source, results } };
}

/** Removes identical rows (several points can share a chart position). */
function dedupe(rows: Row[]): Row[] {
  const seen = new Set<string>();
  return rows.filter((r) => {
    const k = JSON.stringify(r);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
