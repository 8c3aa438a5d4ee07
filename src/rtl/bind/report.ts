import { formatValue } from '../compare.js';
import type { Spread, TxnMismatch } from './check.js';
import type { Txn } from './models.js';
import type { BoundResult } from './verify.js';

/**
 * Reports of a bound check: the one-line summary (with latency and throughput) and the mismatch report:
 *
 *   MISMATCH dot8_core (model mac_pe, bind examples/rtl/int8_dot/bind.json), design int8, seed 1, 40 cases
 *     first mismatch: output transaction 17 on outputs[0], cycle 245: field acc (port m_acc, lane 0 of 1)
 *       expected 0x0000007f (127)
 *       actual   0x0000007e (126)
 *     operands: input transactions 40..42 (accepted in cycles 230..238)
 *       #40 a=[1, -2, 3, 0] w=[...] last=0
 *     mismatching: 12 of 60 output transactions compared
 *     latency ... / waveform ... / reproduce: lowbit verify --rtl ...
 */
function spreadText(s: Spread | undefined): string {
  return s === undefined ? '-' : `${s.min}/${s.median}/${s.max}`;
}

export function formatStats(r: BoundResult): string {
  const s = r.comparison.stats;
  return `latency min/median/max ${spreadText(s.latency)} cycles, cycles per output transaction ${spreadText(s.interval)}, backpressure ${s.backpressureCycles} cycles, input stalls ${s.inputStallCycles} cycles`;
}

/** One line per bound result, like the unit summary. */
export function formatBoundSummary(r: BoundResult): string {
  const mode = r.mode === 'cycle' ? `cycle-exact, latency ${r.latency}` : 'transactions';
  const build = r.build.cached ? 'cached' : `built ${r.build.seconds.toFixed(1)} s`;
  const load = r.load !== undefined ? `, parameter image ${r.load.image.words.length} words of ${r.load.image.dataBits} bits loaded by cycle ${r.load.doneCycle}` : '';
  return `${r.ok ? 'ok      ' : 'MISMATCH'} ${r.top} (${r.model}, ${mode}) ${r.against}: ${r.comparison.compared} of ${r.outputTxns} output transactions compared${imagesText(r)}, ${r.cycles} cycles${load}, ${formatStats(r)}; sim ${(r.simSeconds * 1000).toFixed(0)} ms, ${build}`;
}

/** Accelerator: the image output transaction k belongs to (undefined for other models or past the run). */
export function imageIndex(r: BoundResult, k: number): number | undefined {
  if (r.load === undefined || k < 0 || k >= r.run.from.length) return undefined;
  return r.run.from[k] / (r.run.to[0] - r.run.from[0] + 1);
}

/** Accelerator: ` (N images)`. */
function imagesText(r: BoundResult): string {
  return r.load !== undefined ? ` (${r.inputTxns / (r.run.to[0] - r.run.from[0] + 1)} images)` : '';
}

function imageOf(r: BoundResult, k: number): string {
  const i = imageIndex(r, k);
  return i !== undefined ? `image ${i}, ` : '';
}

function txnText(t: Txn): string {
  return Object.entries(t)
    .map(([k, v]) => {
      const shown = v.length > 16 ? `${v.slice(0, 16).join(', ')}, ... (${v.length} lanes)` : v.join(', ');
      return v.length === 1 ? `${k}=${shown}` : `${k}=[${shown}]`;
    })
    .join(' ');
}

function whatText(m: TxnMismatch, r: BoundResult): string {
  switch (m.kind) {
    case 'value':
      return `${imageOf(r, m.txn)}output transaction ${m.txn} on ${m.stream}, cycle ${m.cycle}: field ${m.field!.operand} (port ${m.field!.port}, lane ${m.lane} of ${m.field!.lanes})`;
    case 'missing':
      return `${imageOf(r, m.txn)}output transaction ${m.txn} on ${m.stream} never came (${r.outputTxns} expected; run ended at cycle ${m.cycle})`;
    case 'unexpected':
      return `an extra output transaction ${m.txn} on ${m.stream} in cycle ${m.cycle} (the model has ${r.outputTxns})`;
    case 'early':
      return `output valid on ${m.stream} in cycle ${m.cycle}, but output transaction ${m.txn} is due in cycle ${m.dueCycle} (latency ${r.latency})`;
    case 'late':
      return `output transaction ${m.txn} on ${m.stream} was due in cycle ${m.dueCycle} (latency ${r.latency}), valid is 0 there`;
    case 'stalled':
      return `input transaction ${m.txn} on ${m.stream} was never accepted (ready stayed 0; run ended at cycle ${m.cycle})`;
  }
}

export function formatBoundReport(r: BoundResult): string {
  const m = r.comparison.first;
  const b = r.resolved.binding;
  const what = r.vectors !== undefined ? `vectors ${r.vectors} (${r.inputTxns} input transactions)` : `${r.cases} cases`;
  const lines = [`MISMATCH ${r.top} (model ${r.model}, bind ${b.source}), ${r.against}, seed ${r.seed}, ${what} (${r.cycles} cycles)`];
  if (m !== undefined) {
    lines.push(`  first mismatch: ${whatText(m, r)}`);
    if (m.kind === 'value') {
      const f = m.field!;
      const bits = (v: bigint): bigint => BigInt.asUintN(f.laneBits, v);
      lines.push(`    expected ${formatValue(bits(m.expected!), f.laneBits, f.signed)}`, `    actual   ${formatValue(bits(m.actual!), f.laneBits, f.signed)}`);
    }
    const k = m.kind === 'stalled' ? -1 : m.txn;
    if (k >= 0 && k < r.run.outputs.length) {
      const from = r.run.from[k];
      const to = r.run.to[k];
      const acc = r.comparison.accepted;
      lines.push(`  operands: input transactions ${from}..${to} (accepted in cycles ${acc[from]}..${acc[to]})`);
      const shown = Math.min(to, from + 7);
      for (let i = from; i <= shown; i++) lines.push(`    #${i} ${txnText(r.inputs[i])}`);
      if (shown < to) lines.push(`    ... ${to - shown} more`);
      if (m.kind !== 'value') lines.push(`  expected result: ${txnText(r.run.outputs[k])}`);
    }
  }
  lines.push(`  mismatching: ${r.comparison.badTxns} of ${r.outputTxns} output transactions`);
  if (r.load !== undefined) lines.push(`  parameter image: ${r.load.image.words.length} words of ${r.load.image.dataBits} bits, ${r.load.doneCycle >= 0 ? `the last taken in cycle ${r.load.doneCycle}` : 'NOT all taken (load ready stayed 0)'}`);
  lines.push(`  measured: ${formatStats(r)}`);
  if (r.vcd !== undefined) lines.push(`  waveform: ${r.vcd} (cycle c is sampled at 10*(c+${r.resetCycles}) ns)`);
  if (r.inputsFile !== undefined) lines.push(`  inputs: ${r.inputsFile} (every input transaction of this run)`);
  lines.push(`  reproduce: ${r.command}`);
  return lines.join('\n');
}
