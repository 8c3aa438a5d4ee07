/**
 * UnitSpec adapter for hdl/xnor_popcount.sv <-> src/hw/xnor_popcount.ts (docs/verify.md, "Adding a unit").
 *
 * Parameters come mechanically from the Design through `xnorPopcountParams` (lanes = xnor.bitsPerCycle,
 * accBits = accumulator.bits, thresholds = xnor.thresholds, channels = array.cols). Stimulus (seeded):
 *  1. every threshold written (random around 0, plus the accumulator's min and max);
 *  2. directed XNOR dot products: all-zero and all-one vectors against each other, lengths 1, lanes-1,
 *     lanes, lanes+1, 3*lanes+5 (odd lengths, padding in the last word filled with garbage bits);
 *  3. directed bit-serial dot products (bit_serial.ts schedules) for signed/unsigned 1..8-bit operands
 *     with extreme values, back to back;
 *  4. `cases` random cycles: random words (XNOR or AND, any shift/neg/nbits incl. nbits > lanes),
 *     random first/last framing, out-of-range channels, threshold writes 3 %, stalls 10 %;
 *  5. idle cycles to drain the pipeline.
 * Trace: the accumulator register `acc_q`.
 */
import type { IntFormat } from '../../arith/index.js';
import type { Design } from '../../hw/design.js';
import { PRESETS } from '../../hw/presets.js';
import {
  XnorPopcountModel,
  bitSerialWords,
  countBits,
  laneWords,
  packBitPlanes,
  xnorPopcountParams,
  xnorPopcountVerilogParams,
  type XnorPopcountInputs,
  type XnorPopcountParams,
} from '../../hw/index.js';
import { clog2, formatRange, intFormat } from '../../arith/format.js';
import { Rng } from '../../util/rng.js';
import { fromBitsSigned, toBits, type PortSpec, type UnitDesign, type UnitSpec } from '../unit.js';
import { hdlFiles } from '../hdl_manifest.js';

function widths(p: XnorPopcountParams): { ch: number; idx: number; nb: number; act: number } {
  return {
    ch: Math.max(1, clog2(p.channels)),
    idx: Math.max(1, clog2(p.thresholds)),
    nb: countBits(p.lanes),
    act: countBits(p.thresholds),
  };
}

function ports(d: Design): PortSpec[] {
  const p = xnorPopcountParams(d);
  const w = widths(p);
  return [
    { name: 'thr_we_i', dir: 'in', width: 1 },
    { name: 'thr_ch_i', dir: 'in', width: w.ch },
    { name: 'thr_idx_i', dir: 'in', width: w.idx },
    { name: 'thr_val_i', dir: 'in', width: p.accBits, signed: true },
    { name: 'valid_i', dir: 'in', width: 1 },
    { name: 'first_i', dir: 'in', width: 1 },
    { name: 'last_i', dir: 'in', width: 1 },
    { name: 'and_i', dir: 'in', width: 1 },
    { name: 'neg_i', dir: 'in', width: 1 },
    { name: 'shift_i', dir: 'in', width: 5 },
    { name: 'nbits_i', dir: 'in', width: w.nb },
    { name: 'ch_i', dir: 'in', width: w.ch },
    { name: 'a_i', dir: 'in', width: p.lanes },
    { name: 'w_i', dir: 'in', width: p.lanes },
    { name: 'stall_i', dir: 'in', width: 1 },
    { name: 'valid_o', dir: 'out', width: 1 },
    { name: 'dot_o', dir: 'out', width: p.accBits, signed: true },
    { name: 'act_o', dir: 'out', width: w.act },
  ];
}

function variant(label: string, lanes: number, accBits: number, thresholds: number, channels: number): UnitDesign {
  const d = structuredClone(PRESETS.binary) as Design;
  d.name = label;
  d.xnor = { bitsPerCycle: lanes, thresholds };
  d.accumulator.bits = accBits;
  d.array.cols = channels;
  return { label, design: d };
}

/** The Designs covered: the binary preset and variants at the lane/width edges. */
function designs(): UnitDesign[] {
  return [
    { label: 'binary', design: PRESETS.binary as Design },
    variant('l1-acc2-t1', 1, 2, 1, 1),
    variant('l7-acc8-t3-ch5', 7, 8, 3, 5),
    variant('l33-acc31-t2', 33, 31, 2, 2),
    variant('l32-acc32-t15', 32, 32, 15, 4),
    variant('l256-acc16-t255', 256, 16, 255, 2),
  ];
}

/** Packs a lane word (Uint32Array, LSB first) into a BigInt. */
export function wordToBig(w: Uint32Array): bigint {
  let v = 0n;
  for (let j = w.length - 1; j >= 0; j--) v = (v << 32n) | BigInt(w[j] >>> 0);
  return v;
}

/** Unpacks a BigInt lane word into `out` (ceil(lanes/32) words). */
export function bigToWord(v: bigint, out: Uint32Array): Uint32Array {
  for (let j = 0; j < out.length; j++) out[j] = Number(BigInt.asUintN(32, v >> BigInt(32 * j)));
  return out;
}

type Word = Omit<XnorPopcountInputs, 'a' | 'w' | 'thrWe' | 'thrCh' | 'thrIdx' | 'thrVal' | 'stall'> & { a: bigint; w: bigint };

function stimulus(d: Design, seed: number, cases: number): bigint[][] {
  const p = xnorPopcountParams(d);
  const wd = widths(p);
  const rng = new Rng(seed);
  const lim = 2 ** (p.accBits - 1);
  const laneMask = (1n << BigInt(p.lanes)) - 1n;
  const stim: bigint[][] = [];
  const row = (x: Partial<Word>, thr?: [number, number, number], stall = false): void => {
    stim.push([
      thr ? 1n : 0n, BigInt(thr?.[0] ?? 0), BigInt(thr?.[1] ?? 0), BigInt(thr?.[2] ?? 0),
      x.valid ? 1n : 0n, x.first ? 1n : 0n, x.last ? 1n : 0n, x.and ? 1n : 0n, x.neg ? 1n : 0n,
      BigInt(x.shift ?? 0), BigInt(x.nbits ?? 0), BigInt(x.ch ?? 0), x.a ?? 0n, x.w ?? 0n, stall ? 1n : 0n,
    ]);
  };
  const thrValue = (): number => {
    const r = rng.float();
    const span = Math.min(lim - 1, 2 * p.lanes + 8);
    return r < 0.1 ? -lim : r < 0.2 ? lim - 1 : rng.int(-span, span);
  };
  // 1. thresholds
  for (let c = 0; c < p.channels; c++) for (let t = 0; t < p.thresholds; t++) row({}, [c, t, thrValue()]);
  // 2. directed XNOR dots: all-zero / all-one, odd lengths, garbage in the padding lanes
  for (const n of [1, Math.max(1, p.lanes - 1), p.lanes, p.lanes + 1, 3 * p.lanes + 5]) {
    for (const [a, w] of [[laneMask, laneMask], [0n, 0n], [laneMask, 0n], [0n, laneMask]]) {
      for (let s = 0; s < n; s += p.lanes) {
        const nb = Math.min(p.lanes, n - s);
        const pad = laneMask ^ ((1n << BigInt(nb)) - 1n);
        row({ valid: true, first: s === 0, last: s + p.lanes >= n, nbits: nb, ch: rng.int(0, p.channels - 1),
          a: a | (pad & rng.bigBits(p.lanes)), w: w | (pad & rng.bigBits(p.lanes)) });
      }
    }
  }
  // 3. directed bit-serial dots
  const formats: [IntFormat, IntFormat][] = [
    [intFormat(8, true), intFormat(8, true)],
    [intFormat(4, true), intFormat(3, false)],
    [intFormat(2, true), intFormat(2, true)],
    [intFormat(1, false), intFormat(1, false)],
  ];
  for (const [fx, fy] of formats) {
    const n = rng.int(1, 2 * p.lanes + 3);
    const { x, y } = bitSerialOperands(rng, n, fx, fy);
    for (const b of bitSerialWords(packBitPlanes(x, fx), fx, packBitPlanes(y, fy), fy, n, p.lanes)) {
      row({ valid: true, first: b.first, last: b.last, and: true, neg: b.neg, shift: b.shift, nbits: b.nbits,
        a: wordToBig(b.a), w: wordToBig(b.w) });
    }
  }
  // 4. random cycles
  const nbMax = 2 ** wd.nb - 1;
  const chSpan = 2 ** wd.ch;
  const idxSpan = 2 ** wd.idx;
  for (let t = 0; t < cases; t++) {
    const thr: [number, number, number] | undefined = rng.float() < 0.03
      ? [rng.int(0, chSpan - 1), rng.int(0, idxSpan - 1), thrValue()] : undefined;
    const r = rng.float();
    row({
      valid: rng.float() < 0.85, first: rng.float() < 0.25, last: rng.float() < 0.3, and: rng.float() < 0.4,
      neg: rng.float() < 0.5, shift: rng.int(0, 31), nbits: r < 0.7 ? p.lanes : rng.int(0, nbMax),
      ch: rng.int(0, chSpan - 1), a: rng.bigBits(p.lanes), w: rng.bigBits(p.lanes),
    }, thr, rng.float() < 0.1);
  }
  // 5. drain
  for (let t = 0; t < 5; t++) row({});
  return stim;
}

/** Random bit-serial operands with the formats' extremes mixed in (shared with the RTL test). */
export function bitSerialOperands(rng: Rng, n: number, fx: IntFormat, fy: IntFormat): { x: number[]; y: number[] } {
  const vec = (f: IntFormat): number[] => {
    const { min: lo, max: hi } = formatRange(intFormat(f.bits, f.signed));
    return Array.from({ length: n }, () => {
      const r = rng.float();
      return r < 0.15 ? lo : r < 0.3 ? hi : rng.int(lo, hi);
    });
  };
  return { x: vec(fx), y: vec(fy) };
}

function model(d: Design, stim: bigint[][]): { outputs: bigint[][]; trace: Record<string, bigint[]> } {
  const p = xnorPopcountParams(d);
  const ins = ports(d).filter((q) => q.dir === 'in');
  const m = new XnorPopcountModel(p);
  const outputs: bigint[][] = [];
  const acc: bigint[] = [];
  const a = new Uint32Array(laneWords(p.lanes));
  const w = new Uint32Array(laneWords(p.lanes));
  const u = (v: bigint, j: number): bigint => toBits(v, ins[j].width, ins[j].name);
  const n = (v: bigint, j: number): number => Number(u(v, j));
  for (const v of stim) {
    const o = m.outputs();
    outputs.push([o.valid ? 1n : 0n, BigInt(o.dot), BigInt(o.act)]);
    acc.push(BigInt(m.register('acc_q')));
    m.step({
      thrWe: v[0] !== 0n, thrCh: n(v[1], 1), thrIdx: n(v[2], 2), thrVal: Number(fromBitsSigned(u(v[3], 3), p.accBits)),
      valid: v[4] !== 0n, first: v[5] !== 0n, last: v[6] !== 0n, and: v[7] !== 0n, neg: v[8] !== 0n,
      shift: n(v[9], 9), nbits: n(v[10], 10), ch: n(v[11], 11),
      a: bigToWord(u(v[12], 12), a), w: bigToWord(u(v[13], 13), w), stall: v[14] !== 0n,
    });
  }
  return { outputs, trace: { acc } };
}

export const xnorPopcountUnit: UnitSpec = {
  name: 'xnor_popcount',
  top: 'xnor_popcount',
  hdlFiles: () => hdlFiles('xnor_popcount'),
  parameters: (d) => xnorPopcountVerilogParams(xnorPopcountParams(d)),
  ports,
  designs,
  stimulus,
  model,
  traceSignals: () => [{ vcd: 'acc_q', model: 'acc' }],
};

export default xnorPopcountUnit;
