import { InputError } from '../util/errors.js';
import { encodeRows, portValue, portWords, strideWords } from './harness.js';
import { toBits, type PortSpec, type TraceSignalSpec } from './unit.js';
import { valueAt, type VcdData } from './vcd.js';

/**
 * Bit-exact comparison of the RTL against the TS model, cycle by cycle.
 *
 * 1. Outputs: `actual[t][j]` (sampled by the harness) against `expected[t][j]` (the model), every cycle
 *    and every output port — so both the value and the cycle of every output are checked.
 * 2. Trace: each listed register, read from the VCD at the sample point of cycle t (time
 *    `10 * (t + 2)` ns: two reset cycles, 10 ns period, low phase after the inputs are applied), against
 *    the model's `trace[key][t]`. A value with x/z bits never matches.
 * The first mismatch (lowest cycle; outputs before trace at equal cycles) is reported with counts.
 */

export interface Mismatch {
  kind: 'output' | 'trace';
  cycle: number;
  /** port name, or `<vcd path> (model: <key>)` for a trace register */
  signal: string;
  width: number;
  signed: boolean;
  expected: bigint;
  /** undefined: x/z or missing in the VCD */
  actual: bigint | undefined;
}

export interface Comparison {
  first?: Mismatch;
  /** cycles with at least one mismatching output */
  outputCycles: number;
  /** traced registers with at least one mismatching cycle */
  badRegisters: number;
  cycles: number;
}

/** Cycle in the VCD at which cycle t of the stimulus is sampled (ns). */
export function sampleTimeNs(t: number): number {
  return 10 * (t + 2);
}

/**
 * Outputs on harness words (`strideWords(outs)` per cycle, unsigned patterns): `expected` from the model,
 * `actual` from the simulator, `cycles` cycles each. Equal words mean equal values on every port, so a cycle
 * is compared word by word and only a differing cycle is split into ports (the first one is reported).
 * `actualStride`: words per cycle of `actual` when more words follow the ports (traced registers).
 */
export function compareOutputWords(unit: string, outs: PortSpec[], expected: Uint32Array, actual: Uint32Array, cycles: number, actualStride = strideWords(outs)): Comparison {
  const per = strideWords(outs);
  if (expected.length !== cycles * per || actual.length !== cycles * actualStride) {
    throw new InputError(`${unit}: the model produced ${expected.length / per} output cycles for ${actual.length / actualStride} stimulus cycles; it must produce one per cycle`);
  }
  let first: Mismatch | undefined;
  let bad = 0;
  for (let t = 0; t < cycles; t++) {
    const base = t * per;
    const abase = t * actualStride;
    let k = 0;
    while (k < per && expected[base + k] === actual[abase + k]) k++;
    if (k === per) continue;
    bad++;
    if (first !== undefined) continue;
    let off = 0;
    for (const p of outs) {
      const ev = portValue(expected, base + off, p.width);
      const av = portValue(actual, abase + off, p.width);
      if (ev !== av) {
        first = { kind: 'output', cycle: t, signal: p.name, width: p.width, signed: p.signed === true, expected: ev, actual: av };
        break;
      }
      off += portWords(p.width);
    }
  }
  return { first, outputCycles: bad, badRegisters: 0, cycles };
}

/** `compareOutputWords` on per-cycle BigInt rows (the model's values checked against the port widths). */
export function compareOutputs(unit: string, outs: PortSpec[], expected: bigint[][], actual: bigint[][]): Comparison {
  if (expected.length !== actual.length) {
    throw new InputError(`${unit}: the model produced ${expected.length} output cycles for ${actual.length} stimulus cycles; it must produce one per cycle`);
  }
  const e = encodeRows(unit, outs, expected, 'model output');
  return compareOutputWords(unit, outs, e, encodeRows(unit, outs, actual, 'model output'), expected.length);
}

/** VCD path of a traced register of top module `top`. */
export function tracePath(top: string, spec: TraceSignalSpec): string {
  return `TOP.${top}.${spec.vcd}`;
}

export function compareTrace(
  unit: string,
  top: string,
  specs: TraceSignalSpec[],
  trace: Record<string, ArrayLike<number | bigint>> | undefined,
  vcd: VcdData,
  cycles: number,
): Comparison {
  let first: Mismatch | undefined;
  let bad = 0;
  const perNs = 1e-9 / vcd.timescale;
  for (const spec of specs) {
    const exp = trace?.[spec.model];
    if (exp === undefined) throw new InputError(`${unit}: traceSignals() lists model key ${spec.model} but model() returned no trace.${spec.model}`);
    if (exp.length !== cycles) throw new InputError(`${unit}: model trace.${spec.model} has ${exp.length} values; expected ${cycles} (one per cycle)`);
    const path = tracePath(top, spec);
    const sig = vcd.signals.get(path);
    if (sig === undefined) throw new InputError(`${unit}: trace signal ${spec.vcd} (VCD path ${path}) is not in ${vcd.file}`);
    const track = vcd.tracks.get(sig.id) ?? { times: [], values: [], masks: [] };
    const hint = { i: 0 };
    for (let t = 0; t < cycles; t++) {
      const x = exp[t];
      const ev = toBits(typeof x === 'bigint' ? x : BigInt(x), sig.width, `${unit}: model trace.${spec.model} in cycle ${t}`);
      const got = valueAt(track, Math.round(sampleTimeNs(t) * perNs), hint);
      const av = got === undefined || got.mask !== 0n ? undefined : got.value;
      if (av !== ev) {
        bad++;
        const m: Mismatch = { kind: 'trace', cycle: t, signal: `${spec.vcd} (model: ${spec.model})`, width: sig.width, signed: false, expected: ev, actual: av };
        if (first === undefined || t < first.cycle) first = m;
        break; // the first bad cycle of each register is enough
      }
    }
  }
  return { first, outputCycles: 0, badRegisters: bad, cycles };
}

/** `0x..` (padded to the width) and decimal, plus the signed value when it differs. */
export function formatValue(v: bigint | undefined, width: number, signed: boolean): string {
  if (v === undefined) return 'x (unknown / not driven)';
  const hex = `0x${v.toString(16).padStart(Math.ceil(width / 4), '0')}`;
  const s = signed && v >= 1n << BigInt(width - 1) ? v - (1n << BigInt(width)) : v;
  return s !== v ? `${hex} (${v}; signed ${s})` : `${hex} (${v})`;
}
