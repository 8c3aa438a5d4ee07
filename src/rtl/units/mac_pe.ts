/**
 * UnitSpec adapter for hdl/mac_pe.sv <-> src/hw/mac_pe.ts (docs/verify.md, "Adding a unit").
 *
 * Parameters come mechanically from the Design (`macVerilogParams`, TagBits = max(1, ceil(log2 rows))).
 * Stimulus (seeded, deterministic in design/seed/cases), `cases` random cycles after a directed part:
 *  1. directed: for every corner pair of operands (min, max, 0, +-1 of each lane) a MAC onto partial sums /
 *     accumulators at the overflow and saturation boundaries (accMin, accMin+1, -1, 0, 1, accMax-1, accMax):
 *     in os the accumulator is first loaded through the drain path (shift_i with ps_i), then MACed;
 *     in ws/is the stationary operand is loaded (tag 0), then a stream beat adds to ps_i;
 *  2. random cycles: valids 75 %, operands uniform or at a corner (30 %), last/shift 10 %, tags biased to 0,
 *     partial sums uniform or at a boundary (30 %).
 * Trace: `acc_q` and the stationary register `s_q`.
 */
import { BINARY, formatRange, intFormat, type IntFormat } from '../../arith/format.js';
import { intMax } from '../../arith/int.js';
import type { Design } from '../../hw/design.js';
import { PRESETS } from '../../hw/presets.js';
import {
  laneFromBits, laneToBits, tagBits, type AccRule, type AccValue,
} from '../../hw/mac_rule.js';
import { macVerilogParams, MacPe, type MacPeInputs } from '../../hw/mac_pe.js';
import { peKind, peLanes, peRule, peVerilogParams, weightExpBits } from '../../hw/pe_kind.js';
import { Rng } from '../../util/rng.js';
import type { PortSpec, UnitDesign, UnitSpec } from '../unit.js';
import { hdlFiles } from '../hdl_manifest.js';

function lanes(d: Design): { h: IntFormat; v: IntFormat; acc: number; tag: number } {
  return { ...peLanes(d), acc: d.accumulator.bits, tag: tagBits(d.array.rows) };
}

/**
 * Directed operand values of the h and v lanes: `laneCorners`, except that the shift PE's weight code lane
 * takes every code with nz = 1 (each exponent, both signs), the zero code and a zero code with neg/e set.
 */
function directedOperands(d: Design, l: { h: IntFormat; v: IntFormat }): { h: readonly number[]; v: readonly number[] } {
  if (peKind(d) === 'multiplier') return { h: laneCorners(l.h), v: laneCorners(l.v) };
  const E = weightExpBits(d.weight);
  const codes = [0, (1 << (E + 1)) - 1, ...Array.from({ length: 2 ** (E + 1) }, (_, i) => (1 << (E + 1)) | i)];
  return d.array.dataflow === 'is' ? { h: codes, v: laneCorners(l.v) } : { h: laneCorners(l.h), v: codes };
}

function ports(d: Design): PortSpec[] {
  const l = lanes(d);
  return [
    { name: 'h_valid_i', dir: 'in', width: 1 },
    { name: 'h_i', dir: 'in', width: l.h.bits, signed: l.h.signed },
    { name: 'v_valid_i', dir: 'in', width: 1 },
    { name: 'v_i', dir: 'in', width: l.v.bits, signed: l.v.signed },
    { name: 'last_i', dir: 'in', width: 1 },
    { name: 'tag_i', dir: 'in', width: l.tag },
    { name: 'shift_i', dir: 'in', width: 1 },
    { name: 'ps_i', dir: 'in', width: l.acc, signed: true },
    { name: 'h_valid_o', dir: 'out', width: 1 },
    { name: 'h_o', dir: 'out', width: l.h.bits, signed: l.h.signed },
    { name: 'v_valid_o', dir: 'out', width: 1 },
    { name: 'v_o', dir: 'out', width: l.v.bits, signed: l.v.signed },
    { name: 'last_o', dir: 'out', width: 1 },
    { name: 'tag_o', dir: 'out', width: l.tag },
    { name: 'acc_o', dir: 'out', width: l.acc, signed: true },
  ];
}

// a lane format's range and corners, and an accumulator width's corners, computed once per format / width:
// the random stimulus draws several values a cycle (building them per draw was most of its time)
const laneInfo = new WeakMap<IntFormat, { min: number; max: number; corners: readonly number[] }>();
const accInfo = new Map<number, readonly bigint[]>();

function lane(l: IntFormat): { min: number; max: number; corners: readonly number[] } {
  let info = laneInfo.get(l);
  if (info === undefined) {
    const { min, max } = formatRange(l);
    info = { min, max, corners: [...new Set([min, max, 0, 1, -1].filter((v) => v >= min && v <= max))] };
    laneInfo.set(l, info);
  }
  return info;
}

/** Lane corner values: min, max, 0, +-1 (those inside the lane's range). */
export function laneCorners(l: IntFormat): readonly number[] {
  return lane(l).corners;
}

/** A random lane value: uniform, or a corner with probability 0.3. */
export function randomLane(rng: Rng, l: IntFormat): number {
  const { min, max, corners: c } = lane(l);
  if (rng.float() < 0.3) return c[rng.int(0, c.length - 1)];
  return rng.int(min, max);
}

/** Accumulator boundary values (signed). */
function accCorners(bits: number): readonly bigint[] {
  let c = accInfo.get(bits);
  if (c === undefined) {
    const max = intMax(intFormat(bits, true));
    c = [...new Set([-max - 1n, -max, -1n, 0n, 1n, max - 1n, max])];
    accInfo.set(bits, c);
  }
  return c;
}

function randomAcc(rng: Rng, bits: number): bigint {
  if (rng.float() < 0.3) {
    const c = accCorners(bits);
    return c[rng.int(0, c.length - 1)];
  }
  return BigInt.asIntN(bits, rng.bigBits(bits));
}

interface PeCycle {
  hValid: boolean; h: number; vValid: boolean; v: number; last: boolean; tag: number; shift: boolean; ps: bigint;
}

function encode(c: PeCycle, l: ReturnType<typeof lanes>): bigint[] {
  return [
    c.hValid ? 1n : 0n, laneToBits(c.h, l.h), c.vValid ? 1n : 0n, laneToBits(c.v, l.v), c.last ? 1n : 0n,
    BigInt(c.tag), c.shift ? 1n : 0n, BigInt.asUintN(l.acc, c.ps),
  ];
}

function stimulus(d: Design, seed: number, cases: number): bigint[][] {
  const l = lanes(d);
  const rng = new Rng(seed);
  const os = d.array.dataflow === 'os';
  const idle: PeCycle = { hValid: false, h: 0, vValid: false, v: 0, last: false, tag: 0, shift: false, ps: 0n };
  const out: bigint[][] = [];
  const push = (c: Partial<PeCycle>): void => {
    out.push(encode({ ...idle, ...c }, l));
  };
  const dir = directedOperands(d, l);
  for (const h of dir.h) {
    for (const v of dir.v) {
      for (const ps of accCorners(l.acc)) {
        if (os) {
          push({ shift: true, ps }); // load the accumulator through the drain path
          push({ hValid: true, h, vValid: true, v, last: true });
        } else {
          push({ vValid: true, v, tag: 0 });
          push({ hValid: true, h, ps });
        }
      }
    }
  }
  const tagMax = 2 ** l.tag - 1;
  for (let i = 0; i < cases; i++) {
    push({
      hValid: rng.float() < 0.75, h: randomLane(rng, l.h), vValid: rng.float() < 0.75, v: randomLane(rng, l.v),
      last: rng.float() < 0.1, tag: rng.float() < 0.5 ? 0 : rng.int(0, tagMax), shift: rng.float() < 0.1,
      ps: randomAcc(rng, l.acc),
    });
  }
  push({});
  return out;
}

function model(d: Design, stim: bigint[][]): { outputs: bigint[][]; trace: Record<string, bigint[]> } {
  const l = lanes(d);
  const rule = peRule(d) as AccRule<AccValue>;
  const pe = new MacPe<AccValue>(d.array.dataflow, rule);
  const big = typeof rule.zero === 'bigint';
  const outputs: bigint[][] = [];
  const trace: Record<string, bigint[]> = { acc: [], s: [] };
  for (const x of stim) {
    const o = pe.outputs();
    outputs.push([
      o.hValid ? 1n : 0n, laneToBits(o.h, l.h), o.vValid ? 1n : 0n, laneToBits(o.v, l.v), o.last ? 1n : 0n,
      BigInt(o.tag), rule.toBigInt(o.acc),
    ]);
    trace.acc.push(rule.toBigInt(o.acc));
    trace.s.push(laneToBits(pe.register('s_q') as number, l.v));
    const ps = BigInt.asIntN(l.acc, x[7]);
    const inp: MacPeInputs<AccValue> = {
      hValid: x[0] === 1n, h: laneFromBits(x[1], l.h), vValid: x[2] === 1n, v: laneFromBits(x[3], l.v),
      last: x[4] === 1n, tag: Number(x[5]), shift: x[6] === 1n, ps: big ? ps : Number(ps),
    };
    pe.step(inp);
  }
  return { outputs, trace };
}

function variant(label: string, patch: (d: Design) => void): UnitDesign {
  const d = structuredClone(PRESETS.int8) as Design;
  d.name = label;
  patch(d);
  return { label, design: d };
}

/** Designs: every dataflow, operand widths 1 (bipolar and unsigned), 2, 7, 8, 16, accumulators 2..64. */
export function macPeDesigns(): UnitDesign[] {
  return [
    variant('os-w8a8-acc32-wrap', () => {}),
    variant('ws-w8a8-acc16-sat', (d) => {
      d.array.dataflow = 'ws';
      d.array.rows = 5;
      d.accumulator = { bits: 16, overflow: 'SAT' };
    }),
    variant('is-w16a7u-acc33-sat', (d) => {
      d.array.dataflow = 'is';
      d.array.rows = 3;
      d.weight = intFormat(16, true);
      d.activation = intFormat(7, false);
      d.accumulator = { bits: 33, overflow: 'SAT' };
    }),
    variant('os-w1a2-acc2-sat', (d) => {
      d.weight = BINARY;
      d.activation = intFormat(2, true);
      d.accumulator = { bits: 2, overflow: 'SAT' };
    }),
    variant('ws-w2a1u-acc31-wrap', (d) => {
      d.array.dataflow = 'ws';
      d.weight = intFormat(2, true);
      d.activation = intFormat(1, false);
      d.accumulator = { bits: 31, overflow: 'WRAP' };
    }),
    variant('os-w16a16-acc64-sat', (d) => {
      d.weight = intFormat(16, true);
      d.activation = intFormat(16, true);
      d.accumulator = { bits: 64, overflow: 'SAT' };
    }),
    variant('is-w16ua16-acc63-wrap', (d) => {
      d.array.dataflow = 'is';
      d.array.rows = 2;
      d.weight = intFormat(16, false);
      d.activation = intFormat(16, true);
      d.accumulator = { bits: 63, overflow: 'WRAP' };
    }),
    variant('ws-w16a16-acc64-wrap', (d) => {
      d.array.dataflow = 'ws';
      d.weight = intFormat(16, true);
      d.activation = intFormat(16, true);
      d.accumulator = { bits: 64, overflow: 'WRAP' };
    }),
  ];
}

export const macPeUnit: UnitSpec = {
  name: 'mac_pe',
  top: 'mac_pe',
  hdlFiles: () => hdlFiles('mac_pe'),
  parameters: (d) => ({ ...macVerilogParams(d), TagBits: tagBits(d.array.rows), ...peVerilogParams(d) }),
  ports,
  designs: macPeDesigns,
  stimulus,
  model,
  traceSignals: () => [
    { vcd: 'acc_q', model: 'acc' },
    { vcd: 's_q', model: 's' },
  ],
};

export default macPeUnit;
