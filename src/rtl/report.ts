import { formatValue } from './compare.js';
import type { VerifyResult } from './verify.js';

/**
 * The text of a mismatch report (docs/verify.md shows an example):
 *
 *   MISMATCH mac_pe, design int8, seed 1, 200 cases (1130 cycles)
 *     first mismatch: cycle 37, output acc_o (32 bits)
 *       expected 0x0000007f (127)
 *       actual   0x0000007e (126)
 *     mismatching: 12 of 1130 cycles (outputs), 1 of 2 traced registers
 *     waveform: ~/.cache/lowbit/vcd/mac_pe-int8-seed1.vcd (cycle t is at 10*(t+2) ns)
 *     reproduce: lowbit verify --unit mac_pe --design int8 --seed 1 --cases 200 --keep-vcd
 */
export function formatReport(r: VerifyResult): string {
  const m = r.mismatch;
  const lines = [`MISMATCH ${r.unit}, design ${r.label}, seed ${r.seed}, ${r.cases} cases (${r.cycles} cycles)`];
  if (m !== undefined) {
    const what = m.kind === 'output' ? `output ${m.signal}` : `register ${m.signal}`;
    lines.push(
      `  first mismatch: cycle ${m.cycle}, ${what} (${m.width} bits)`,
      `    expected ${formatValue(m.expected, m.width, m.signed)}`,
      `    actual   ${formatValue(m.actual, m.width, m.signed)}`,
    );
  }
  lines.push(`  mismatching: ${r.outputCycles} of ${r.cycles} cycles (outputs), ${r.badRegisters} of ${r.tracedRegisters} traced registers`);
  if (r.vcd !== undefined) lines.push(`  waveform: ${r.vcd} (cycle t is sampled at ${'10*(t+2)'} ns)`);
  lines.push(`  reproduce: ${r.command}`);
  return lines.join('\n');
}

/** The summary table: one line per result, columns aligned. */
export function formatSummary(results: VerifyResult[]): string {
  const uw = Math.max(4, ...results.map((r) => r.unit.length));
  const lw = Math.max(6, ...results.map((r) => r.label.length));
  return results
    .map((r) => {
      const status = r.ok ? 'ok      ' : 'MISMATCH';
      const build = r.build.cached ? 'cached' : `built ${r.build.seconds.toFixed(1)} s`;
      return `${status} ${r.unit.padEnd(uw)} ${r.label.padEnd(lw)} ${String(r.cycles).padStart(8)} cycles  sim ${(r.simSeconds * 1000).toFixed(0).padStart(5)} ms  ${build}`;
    })
    .join('\n');
}
