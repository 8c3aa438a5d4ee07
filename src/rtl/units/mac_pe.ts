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
import { tagBits, type AccRule, type AccValue } from '../../hw/mac_rule.js';
import { macVerilogParams, MacPe, type MacPeInputs } from '../../hw/mac_pe.js';
import { peKind, peLanes, peRule, peVerilogParams, weightExpBits } from '../../hw/pe_kind.js';
import { Rng } from '../../util/rng.js';
import { portWords } from '../harness.js';
import { type PortSpec, type UnitDesign, type UnitSpec, type WordsModelRun } from '../unit.js';
import { getBig, getInt, putBig, putInt, putRandomBits, unitFromWords, portLayout } from '../unit_words.js';
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
  return drawLane(rng, lane(l));
}

function drawLane(rng: Rng, { min, max, corners: c }: { min: number; max: number; corners: readonly number[] }): number {
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

/** The accumulator corners as port words (two's complement patterns, `portWords(bits)` words each). */
function accCornerWords(bits: number): Uint32Array[] {
  return accCorners(bits).map((c) => {
    const w = new Uint32Array(portWords(bits));
    putBig(w, 0, c, bits);
    return w;
  });
}

/** The stimulus and model layout: word offsets of the ports (within their direction's vector) and the words per cycle. */
function layout(d: Design): { l: ReturnType<typeof lanes>; at: Record<string, number>; inStride: number; outStride: number } {
  return { l: lanes(d), ...portLayout(ports(d)) };
}

/** Writes a random accumulator pattern at `words[off]`: a corner with probability 0.3, else uniform. */
function randomAcc(rng: Rng, corners: Uint32Array[], words: Uint32Array, off: number, bits: number): void {
  if (rng.float() < 0.3) {
    const c = corners[rng.int(0, corners.length - 1)];
    for (let k = 0; k < c.length; k++) words[off + k] = c[k]; // (not words.set: a runtime call per value)
  } else {
    putRandomBits(rng, words, off, bits);
  }
}

function stimulus(d: Design, seed: number, cases: number): Uint32Array {
  const { l, at, inStride: S } = layout(d);
  const rng = new Rng(seed);
  const os = d.array.dataflow === 'os';
  const dir = directedOperands(d, l);
  const corners = accCornerWords(l.acc);
  // directed: two cycles per (h, v, ps) corner; then the random cycles and one idle cycle (all zero words)
  const words = new Uint32Array((2 * dir.h.length * dir.v.length * corners.length + cases + 1) * S);
  // the port offsets as locals (a property read per word was a third of the stimulus's time)
  const { h_valid_i: HV, h_i: H, v_valid_i: VV, v_i: V, last_i: LAST, tag_i: TAG, shift_i: SHIFT, ps_i: PS } = at;
  const hBits = l.h.bits, vBits = l.v.bits, accBits = l.acc;
  let o = 0;
  for (const h of dir.h) {
    for (const v of dir.v) {
      for (const ps of corners) {
        if (os) {
          words[o + SHIFT] = 1; // load the accumulator through the drain path
          words.set(ps, o + PS);
          o += S;
          words[o + HV] = 1;
          putInt(words, o + H, h, hBits);
          words[o + VV] = 1;
          putInt(words, o + V, v, vBits);
          words[o + LAST] = 1;
        } else {
          words[o + VV] = 1;
          putInt(words, o + V, v, vBits);
          o += S;
          words[o + HV] = 1;
          putInt(words, o + H, h, hBits);
          words.set(ps, o + PS);
        }
        o += S;
      }
    }
  }
  const tagMax = 2 ** l.tag - 1;
  const hLane = lane(l.h), vLane = lane(l.v);
  for (let i = 0; i < cases; i++, o += S) {
    words[o + HV] = +(rng.float() < 0.75);
    putInt(words, o + H, drawLane(rng, hLane), hBits);
    words[o + VV] = +(rng.float() < 0.75);
    putInt(words, o + V, drawLane(rng, vLane), vBits);
    words[o + LAST] = +(rng.float() < 0.1);
    words[o + TAG] = rng.float() < 0.5 ? 0 : rng.int(0, tagMax);
    words[o + SHIFT] = +(rng.float() < 0.1);
    randomAcc(rng, corners, words, o + PS, accBits);
  }
  return words;
}

function model(d: Design, stim: Uint32Array): WordsModelRun {
  const { l, at, inStride: S, outStride: R } = layout(d); // offsets as locals below, as in stimulus()
  const rule = peRule(d) as AccRule<AccValue>;
  const pe = new MacPe<AccValue>(d.array.dataflow, rule);
  const big = typeof rule.zero === 'bigint';
  const cycles = stim.length / S;
  const outputs = new Uint32Array(cycles * R);
  const accTrace: AccValue[] | Float64Array = big ? new Array<AccValue>(cycles) : new Float64Array(cycles);
  const sTrace = new Float64Array(cycles);
  const { h_valid_i: HV, h_i: H, v_valid_i: VV, v_i: V, last_i: LAST, tag_i: TAG, shift_i: SHIFT, ps_i: PS } = at;
  const { h_valid_o: HVO, h_o: HO, v_valid_o: VVO, v_o: VO, last_o: LASTO, tag_o: TAGO, acc_o: ACC } = at;
  const hBits = l.h.bits, vBits = l.v.bits, hSigned = l.h.signed, vSigned = l.v.signed, accBits = l.acc;
  const inp: MacPeInputs<AccValue> = { hValid: false, h: 0, vValid: false, v: 0, last: false, tag: 0, shift: false, ps: rule.zero };
  for (let t = 0, x = 0, y = 0; t < cycles; t++, x += S, y += R) {
    // the outputs are the registers (read by name: no object per cycle)
    outputs[y + HVO] = pe.register('h_valid_q') as number;
    putInt(outputs, y + HO, pe.register('h_q') as number, hBits);
    outputs[y + VVO] = pe.register('v_valid_q') as number;
    putInt(outputs, y + VO, pe.register('v_q') as number, vBits);
    outputs[y + LASTO] = pe.register('last_q') as number;
    outputs[y + TAGO] = pe.register('tag_q') as number;
    const acc = pe.register('acc_q');
    if (big) putBig(outputs, y + ACC, acc as bigint, accBits);
    else putInt(outputs, y + ACC, acc as number, accBits);
    accTrace[t] = acc as number; // a BigInt into the plain array when `big`
    sTrace[t] = pe.register('s_q') as number;
    inp.hValid = stim[x + HV] === 1;
    inp.h = getInt(stim, x + H, hBits, hSigned);
    inp.vValid = stim[x + VV] === 1;
    inp.v = getInt(stim, x + V, vBits, vSigned);
    inp.last = stim[x + LAST] === 1;
    inp.tag = stim[x + TAG];
    inp.shift = stim[x + SHIFT] === 1;
    inp.ps = big ? getBig(stim, x + PS, accBits, true) : getInt(stim, x + PS, accBits, true);
    pe.step(inp);
  }
  return { outputs, trace: { acc: accTrace, s: sTrace } };
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

export const macPeUnit: UnitSpec = unitFromWords({
  name: 'mac_pe',
  top: 'mac_pe',
  hdlFiles: () => hdlFiles('mac_pe'),
  parameters: (d) => ({ ...macVerilogParams(d), TagBits: tagBits(d.array.rows), ...peVerilogParams(d) }),
  ports,
  designs: macPeDesigns,
  words: { stimulus, model },
  traceSignals: () => [
    { vcd: 'acc_q', model: 'acc' },
    { vcd: 's_q', model: 's' },
  ],
});

export default macPeUnit;
