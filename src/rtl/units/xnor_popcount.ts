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
import { type PortSpec, type UnitDesign, type UnitSpec, type WordsModelRun } from '../unit.js';
import { getInt, putBig, putInt, putRandomBits, unitFromWords, portLayout, WordsWriter } from '../unit_words.js';
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

/** Word offsets of the ports (per direction) and the words per cycle. */
function layout(d: Design): { p: XnorPopcountParams; at: Record<string, number>; inStride: number; outStride: number } {
  return { p: xnorPopcountParams(d), ...portLayout(ports(d)) };
}

/** One beat of the unit's inputs (the threshold write and the stall are separate arguments of `row`). */
interface Beat {
  valid?: boolean; first?: boolean; last?: boolean; and?: boolean; neg?: boolean; shift?: number; nbits?: number; ch?: number;
  /** lane words: a BigInt, or `ceil(lanes/32)` words */
  a?: bigint | Uint32Array; w?: bigint | Uint32Array;
}

function stimulus(d: Design, seed: number, cases: number): Uint32Array {
  const { p, at, inStride: S } = layout(d);
  const wd = widths(p);
  const rng = new Rng(seed);
  const lim = 2 ** (p.accBits - 1);
  const laneMask = (1n << BigInt(p.lanes)) - 1n;
  // thresholds, the directed dots (4 x 5 lengths of <= 4 beats; 4 bit-serial dots of <= 64 planes x 3 beats), cases, drain
  const out = new WordsWriter(S, p.channels * p.thresholds + 80 + 4 * 64 * 3 + cases + 5);
  const { thr_we_i: TWE, thr_ch_i: TCH, thr_idx_i: TIDX, thr_val_i: TVAL, valid_i: VALID, first_i: FIRST, last_i: LAST, and_i: AND, neg_i: NEG } = at;
  const { shift_i: SHIFT, nbits_i: NB, ch_i: CH, a_i: A, w_i: W, stall_i: STALL } = at;
  const lw = laneWords(p.lanes);
  const putLanes = (words: Uint32Array, off: number, v: bigint | Uint32Array | undefined): void => {
    if (typeof v === 'bigint') putBig(words, off, v, p.lanes);
    else if (v !== undefined) for (let k = 0; k < lw; k++) words[off + k] = v[k];
  };
  /** one cycle: a beat, an optional threshold write [channel, index, value] and the stall */
  const row = (x: Beat, thr?: [number, number, number], stall = false): number => {
    const o = out.next();
    const w = out.words;
    if (thr !== undefined) {
      w[o + TWE] = 1;
      w[o + TCH] = thr[0];
      w[o + TIDX] = thr[1];
      putInt(w, o + TVAL, thr[2], p.accBits);
    }
    w[o + VALID] = +(x.valid === true);
    w[o + FIRST] = +(x.first === true);
    w[o + LAST] = +(x.last === true);
    w[o + AND] = +(x.and === true);
    w[o + NEG] = +(x.neg === true);
    w[o + SHIFT] = x.shift ?? 0;
    w[o + NB] = x.nbits ?? 0;
    w[o + CH] = x.ch ?? 0;
    putLanes(w, o + A, x.a);
    putLanes(w, o + W, x.w);
    w[o + STALL] = +stall;
    return o;
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
      row({ valid: true, first: b.first, last: b.last, and: true, neg: b.neg, shift: b.shift, nbits: b.nbits, a: b.a, w: b.w });
    }
  }
  // 4. random cycles (draws in the order of the BigInt version: threshold write, then the beat, then the stall)
  const nbMax = 2 ** wd.nb - 1;
  const chSpan = 2 ** wd.ch;
  const idxSpan = 2 ** wd.idx;
  // written word by word (no object per cycle: this loop is most of the stimulus)
  for (let t = 0; t < cases; t++) {
    const o = out.next();
    const w = out.words;
    if (rng.float() < 0.03) {
      w[o + TWE] = 1;
      w[o + TCH] = rng.int(0, chSpan - 1);
      w[o + TIDX] = rng.int(0, idxSpan - 1);
      putInt(w, o + TVAL, thrValue(), p.accBits);
    }
    const r = rng.float();
    w[o + VALID] = +(rng.float() < 0.85);
    w[o + FIRST] = +(rng.float() < 0.25);
    w[o + LAST] = +(rng.float() < 0.3);
    w[o + AND] = +(rng.float() < 0.4);
    w[o + NEG] = +(rng.float() < 0.5);
    w[o + SHIFT] = rng.int(0, 31);
    w[o + NB] = r < 0.7 ? p.lanes : rng.int(0, nbMax);
    w[o + CH] = rng.int(0, chSpan - 1);
    putRandomBits(rng, w, o + A, p.lanes);
    putRandomBits(rng, w, o + W, p.lanes);
    w[o + STALL] = +(rng.float() < 0.1);
  }
  // 5. drain
  for (let t = 0; t < 5; t++) row({});
  return out.finish();
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

function model(d: Design, stim: Uint32Array): WordsModelRun {
  const { p, at, inStride: S, outStride: R } = layout(d);
  const wd = widths(p);
  const m = new XnorPopcountModel(p);
  const cycles = stim.length / S;
  const outputs = new Uint32Array(cycles * R);
  const acc = new Float64Array(cycles);
  const lw = laneWords(p.lanes);
  const a = new Uint32Array(lw);
  const w = new Uint32Array(lw);
  const { thr_we_i: TWE, thr_ch_i: TCH, thr_idx_i: TIDX, thr_val_i: TVAL, valid_i: VALID, first_i: FIRST, last_i: LAST, and_i: AND, neg_i: NEG } = at;
  const { shift_i: SHIFT, nbits_i: NB, ch_i: CH, a_i: A, w_i: W, stall_i: STALL, valid_o: VO, dot_o: DOT, act_o: ACT } = at;
  const inp: XnorPopcountInputs = {
    thrWe: false, thrCh: 0, thrIdx: 0, thrVal: 0, valid: false, first: false, last: false, and: false, neg: false,
    shift: 0, nbits: 0, ch: 0, a, w, stall: false,
  };
  for (let t = 0, x = 0, y = 0; t < cycles; t++, x += S, y += R) {
    const o = m.outputs();
    outputs[y + VO] = +o.valid;
    putInt(outputs, y + DOT, o.dot, p.accBits);
    putInt(outputs, y + ACT, o.act, wd.act);
    acc[t] = m.register('acc_q');
    inp.thrWe = stim[x + TWE] !== 0;
    inp.thrCh = stim[x + TCH];
    inp.thrIdx = stim[x + TIDX];
    inp.thrVal = getInt(stim, x + TVAL, p.accBits, true);
    inp.valid = stim[x + VALID] !== 0;
    inp.first = stim[x + FIRST] !== 0;
    inp.last = stim[x + LAST] !== 0;
    inp.and = stim[x + AND] !== 0;
    inp.neg = stim[x + NEG] !== 0;
    inp.shift = stim[x + SHIFT];
    inp.nbits = stim[x + NB];
    inp.ch = stim[x + CH];
    for (let k = 0; k < lw; k++) {
      a[k] = stim[x + A + k];
      w[k] = stim[x + W + k];
    }
    inp.stall = stim[x + STALL] !== 0;
    m.step(inp);
  }
  return { outputs, trace: { acc } };
}

export const xnorPopcountUnit: UnitSpec = unitFromWords({
  name: 'xnor_popcount',
  top: 'xnor_popcount',
  hdlFiles: () => hdlFiles('xnor_popcount'),
  parameters: (d) => xnorPopcountVerilogParams(xnorPopcountParams(d)),
  ports,
  designs,
  words: { stimulus, model },
  traceSignals: () => [{ vcd: 'acc_q', model: 'acc' }],
});

export default xnorPopcountUnit;
