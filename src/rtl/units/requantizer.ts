/**
 * UnitSpec adapter for hdl/requantizer.sv <-> src/hw/requantizer.ts (docs/verify.md, "Adding a unit").
 *
 * Parameters come mechanically from the Design through `requantizerParams` (channels = array.cols, or 1
 * for per-tensor granularity). Stimulus (seeded, deterministic in design/seed/cases):
 *  1. directed parameter sets, each written to a channel and followed by directed accumulators:
 *     INT32_MIN * INT32_MIN saturation, wrapping left shifts, the docs/arithmetic.md vectors, extreme
 *     shifts, and for the shift mode exact ties (+-(2k+1) 2^(n-1)) for the Design's rounding;
 *     every element at min/max/0/+-1 accumulators and at the output saturation boundaries;
 *  2. `cases` random cycles: random table writes (sometimes to out-of-range channels), valid 80 %,
 *     any channel index (out-of-range ones read (0, 0)), accumulators uniform / small / extreme,
 *     stalls 10 %;
 *  3. idle cycles to drain the pipeline.
 * Trace: the stage-2 register `s2_q` (the scaled value before the zero point).
 */
import { clog2, intFormat, ROUNDINGS } from '../../arith/index.js';
import type { Design } from '../../hw/design.js';
import { PRESETS } from '../../hw/presets.js';
import {
  RequantizerModel,
  requantizerParams,
  requantizerVerilogParams,
  type RequantizerParams,
} from '../../hw/index.js';
import { Rng } from '../../util/rng.js';
import { type PortSpec, type UnitDesign, type UnitSpec, type WordsModelRun } from '../unit.js';
import { getInt, putInt, unitFromWords, portLayout } from '../unit_words.js';
import { hdlFiles } from '../hdl_manifest.js';

const I32_MIN = -(2 ** 31);
const I32_MAX = 2 ** 31 - 1;

function chBits(p: RequantizerParams): number {
  return Math.max(1, clog2(p.channels));
}

function ports(d: Design): PortSpec[] {
  const p = requantizerParams(d);
  const cb = chBits(p);
  return [
    { name: 'cfg_we_i', dir: 'in', width: 1 },
    { name: 'cfg_ch_i', dir: 'in', width: cb },
    { name: 'cfg_mult_i', dir: 'in', width: 32, signed: true },
    { name: 'cfg_shift_i', dir: 'in', width: 6, signed: p.mode !== 'shift' },
    { name: 'valid_i', dir: 'in', width: 1 },
    { name: 'ch_i', dir: 'in', width: cb },
    { name: 'acc_i', dir: 'in', width: p.accBits, signed: true },
    { name: 'stall_i', dir: 'in', width: 1 },
    { name: 'valid_o', dir: 'out', width: 1 },
    { name: 'data_o', dir: 'out', width: p.out.bits, signed: p.out.signed },
  ];
}

function variant(base: Design, label: string, patch: (d: Design) => void): UnitDesign {
  const d = structuredClone(base);
  d.name = label;
  patch(d);
  return { label, design: d };
}

/** The Designs covered: the presets, plus shift-mode variants so every rounding mode and edge width runs. */
function designs(): UnitDesign[] {
  const i8 = PRESETS.int8 as Design;
  const shift = (label: string, r: number, accBits: number, outBits: number, outSigned: boolean, zp: number, relu: boolean,
    granularity: 'channel' | 'tensor' = 'channel'): UnitDesign =>
    variant(i8, label, (d) => {
      d.accumulator.bits = accBits;
      d.array.cols = 4;
      d.requant = { mode: 'shift', rounding: ROUNDINGS[r], granularity, out: intFormat(outBits, outSigned), zeroPoint: zp, relu };
    });
  return [
    { label: 'int8', design: PRESETS.int8 as Design },
    { label: 'int2', design: PRESETS.int2 as Design },
    { label: 'binary', design: PRESETS.binary as Design },
    variant(i8, 'double-u16-relu-tensor', (d) => {
      d.requant = { ...d.requant, granularity: 'tensor', out: intFormat(16, false), zeroPoint: 300, relu: true };
    }),
    variant(i8, 'single-acc31-out7', (d) => {
      d.accumulator.bits = 31;
      d.array.cols = 3;
      d.requant = { ...d.requant, mode: 'single', out: intFormat(7, true), zeroPoint: -5 };
    }),
    shift('shift-trn-zero-acc33', 1, 33, 8, true, 3, false),
    shift('shift-rnd-acc53-u16', 2, 53, 16, false, 0, false),
    shift('shift-rnd-zero-acc2', 3, 2, 2, true, 0, false, 'tensor'),
    shift('shift-rnd-min-inf-acc7', 4, 7, 7, true, -2, true),
    shift('shift-rnd-inf-acc32', 5, 32, 16, true, 0, false),
    shift('shift-rnd-conv-acc16-u1', 6, 16, 1, false, 0, true),
    shift('shift-rnd-conv-odd-acc8', 7, 8, 8, true, 0, false),
  ];
}

/** One legal random (multiplier, shift) for the mode. */
function randomEntry(rng: Rng, p: RequantizerParams): [number, number] {
  if (p.mode === 'shift') {
    const r = rng.float();
    const n = r < 0.6 ? rng.int(0, Math.min(63, p.accBits + 1)) : rng.int(0, 63);
    return [rng.int(I32_MIN, I32_MAX), n];
  }
  const m = p.mode === 'single' ? rng.int(0, I32_MAX) : rng.int(I32_MIN, I32_MAX);
  const r = rng.float();
  const s = r < 0.7 ? rng.int(-12, 2) : rng.int(-31, 30);
  return [rng.float() < 0.7 ? (m < 0 ? m : m | 0x40000000) : m, s];
}

/** Directed (multiplier, shift, accumulators) sets for the mode. */
function directedSets(p: RequantizerParams): [number, number, number[]][] {
  const lim = 2 ** (p.accBits - 1);
  const ext = [-lim, lim - 1, 0, -1, 1, -lim + 1, 2, -2];
  if (p.mode === 'shift') {
    const sets: [number, number, number[]][] = [];
    for (const n of [0, 1, 2, 3, Math.max(0, p.accBits - 1), p.accBits, p.accBits + 1, 63]) {
      const accs = [...ext];
      if (n >= 1 && n <= p.accBits - 1) {
        const half = 2 ** (n - 1);
        for (const k of [0, 1, 2, 3]) {
          for (const v of [(2 * k + 1) * half, -(2 * k + 1) * half, (2 * k + 1) * half - 1, -(2 * k + 1) * half + 1]) {
            if (v >= -lim && v < lim) accs.push(v);
          }
        }
      }
      sets.push([0, Math.min(n, 63), accs]);
    }
    return sets;
  }
  const x32 = (v: number): number => Math.max(-lim, Math.min(lim - 1, v));
  const common = [...ext, x32(1822), x32(-6), x32(I32_MIN), x32(I32_MAX), x32(1 << 30), x32(-(1 << 30))];
  const sets: [number, number, number[]][] = [
    [2123782081, -2, common],
    [1 << 30, -1, common],
    [I32_MAX, 30, common],
    [I32_MAX, -31, common],
    [1 << 30, 0, common],
    [0, 0, common],
  ];
  if (p.mode === 'double') {
    sets.push([I32_MIN, 0, common], [I32_MIN, 1, common], [-(2 ** 30) - 12345, -7, common], [I32_MIN, -31, common]);
  }
  return sets;
}

/** Word offsets of the ports (per direction) and the words per cycle. */
function layout(d: Design): { p: RequantizerParams; at: Record<string, number>; inStride: number; outStride: number } {
  return { p: requantizerParams(d), ...portLayout(ports(d)) };
}

function stimulus(d: Design, seed: number, cases: number): Uint32Array {
  const { p, at, inStride: S } = layout(d);
  const rng = new Rng(seed);
  const cb = chBits(p);
  const lim = 2 ** (p.accBits - 1);
  const sets = directedSets(p);
  let cycles = p.channels + cases + 6;
  for (const [, , accs] of sets) cycles += 1 + accs.length;
  const words = new Uint32Array(cycles * S);
  const { cfg_we_i: WE, cfg_ch_i: CCH, cfg_mult_i: MULT, cfg_shift_i: SHIFT, valid_i: VALID, ch_i: CH, acc_i: ACC, stall_i: STALL } = at;
  const accBits = p.accBits;
  let o = 0;
  // a table write in cycle o (the other inputs 0 unless set after)
  const cfg = (ch: number, m: number, s: number): void => {
    words[o + WE] = 1;
    words[o + CCH] = ch;
    putInt(words, o + MULT, m, 32);
    putInt(words, o + SHIFT, s, 6);
  };
  // 1. directed
  let set = 0;
  for (const [m, s, accs] of sets) {
    const ch = set++ % p.channels;
    cfg(ch, m, s);
    o += S;
    for (const acc of accs) {
      words[o + VALID] = 1;
      words[o + CH] = ch;
      putInt(words, o + ACC, acc, accBits);
      o += S;
    }
  }
  // fill the table with random entries
  for (let c = 0; c < p.channels; c++, o += S) {
    const [m, s] = randomEntry(rng, p);
    cfg(c, m, s);
  }
  // 2. random (draws in the order of the BigInt version: acc, we, entry, cfg channel, valid, channel, stall)
  const chSpan = 2 ** cb;
  for (let t = 0; t < cases; t++, o += S) {
    const r = rng.float();
    const acc = r < 0.5 ? rng.int(-lim, lim - 1) : r < 0.8 ? rng.int(-Math.min(lim, 4096), Math.min(lim, 4096) - 1)
      : [-lim, lim - 1, 0, -1][rng.int(0, 3)];
    words[o + WE] = +(rng.float() < 0.05);
    const [m, s] = randomEntry(rng, p);
    words[o + CCH] = rng.int(0, chSpan - 1);
    putInt(words, o + MULT, m, 32);
    putInt(words, o + SHIFT, s, 6);
    words[o + VALID] = +(rng.float() < 0.8);
    words[o + CH] = rng.int(0, chSpan - 1);
    putInt(words, o + ACC, acc, accBits);
    words[o + STALL] = +(rng.float() < 0.1);
  }
  // 3. drain: 6 idle cycles (zero words)
  return words;
}

function model(d: Design, stim: Uint32Array): WordsModelRun {
  const { p, at, inStride: S, outStride: R } = layout(d);
  const m = new RequantizerModel(p);
  const cycles = stim.length / S;
  const outputs = new Uint32Array(cycles * R);
  const s2 = new Float64Array(cycles);
  const { cfg_we_i: WE, cfg_ch_i: CCH, cfg_mult_i: MULT, cfg_shift_i: SHIFT, valid_i: VALID, ch_i: CH, acc_i: ACC, stall_i: STALL } = at;
  const { valid_o: VO, data_o: DO } = at;
  const cb = chBits(p), accBits = p.accBits, outBits = p.out.bits, shiftSigned = p.mode !== 'shift';
  for (let t = 0, x = 0, y = 0; t < cycles; t++, x += S, y += R) {
    const o = m.outputs();
    outputs[y + VO] = +o.valid;
    putInt(outputs, y + DO, o.data, outBits);
    s2[t] = m.register('s2_q');
    m.step({
      cfgWe: stim[x + WE] !== 0, cfgCh: getInt(stim, x + CCH, cb, false), cfgMult: getInt(stim, x + MULT, 32, true),
      cfgShift: getInt(stim, x + SHIFT, 6, shiftSigned),
      valid: stim[x + VALID] !== 0, ch: getInt(stim, x + CH, cb, false), acc: getInt(stim, x + ACC, accBits, true), stall: stim[x + STALL] !== 0,
    });
  }
  return { outputs, trace: { s2 } };
}

export const requantizerUnit: UnitSpec = unitFromWords({
  name: 'requantizer',
  top: 'requantizer',
  hdlFiles: () => hdlFiles('requantizer'),
  parameters: (d) => requantizerVerilogParams(requantizerParams(d)),
  ports,
  designs,
  words: { stimulus, model },
  traceSignals: () => [{ vcd: 's2_q', model: 's2' }],
});

export default requantizerUnit;
