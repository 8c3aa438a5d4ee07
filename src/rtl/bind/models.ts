import { formatRange, intFormat, wrapInt, type IntFormat } from '../../arith/index.js';
import type { Design } from '../../hw/design.js';
import { accRule, laneFormat } from '../../hw/mac_rule.js';
import { checkChannelScale, requantize, requantizerParams } from '../../hw/requantizer.js';
import { checkXnorPopcountParams, laneWords, wordContribution, wordPopcount } from '../../hw/xnor_popcount.js';
import { InputError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import { laneCorners, randomLane } from '../units/mac_pe.js';
import type { BindModelName } from './spec.js';

/**
 * Transaction-level golden models for bound RTL (`lowbit verify --rtl ... --bind`). A model says which
 * operands it has (inputs and results), their element format for a Design, how to make a seeded stimulus
 * of input transactions, and which output transactions those must produce — computed with the same rule
 * functions as lowbit's own units (src/hw), so a bound design is held to exactly lowbit's arithmetic.
 *
 * A transaction is `Record<operand, bigint[]>`: one value per lane, as the signed or unsigned element
 * value (not the bit pattern). A flag operand (`last`) is one 1-bit lane.
 */
export type Txn = Record<string, bigint[]>;

export interface OperandDef {
  name: string;
  dir: 'in' | 'out';
  /** may be left unbound (e.g. `last`: without it every beat is a whole transaction) */
  optional: boolean;
  /** element format of the operand under a Design */
  format(d: Design): IntFormat;
  /** lanes this operand must have, given the lanes of another operand (`same as a`), or fixed */
  lanes: { fixed: number } | { sameAs: string } | 'any';
  /** what the operand is, for messages and docs */
  describe: string;
}

export interface ModelRun {
  outputs: Txn[];
  /** input transactions [from[k], to[k]] produced output k (to[k] is the last one it needs) */
  from: number[];
  to: number[];
}

export interface BindModel {
  name: BindModelName;
  operands: OperandDef[];
  /** a Design the model cannot run rejected with a message (e.g. accumulator too wide) */
  checkDesign?(d: Design): void;
  /** seeded input transactions: about `groups` output transactions' worth, directed corners first */
  stimulus(d: Design, lanes: Record<string, number>, bound: Set<string>, seed: number, groups: number, beats: [number, number]): Txn[];
  /** a lane count the model cannot take (e.g. matrix sizes that do not fit together), as a message */
  checkLanes?(lanes: Record<string, number>): string | undefined;
  run(d: Design, inputs: Txn[], bound: Set<string>, lanes: Record<string, number>): ModelRun;
}

/** Beats per group: uniform in [lo, hi]; every input transaction is one beat when `last` is unbound. */
export function groupSizes(rng: Rng, groups: number, beats: [number, number], hasLast: boolean): number[] {
  return Array.from({ length: groups }, () => (hasLast ? rng.int(beats[0], beats[1]) : 1));
}

/** The design's accumulate step `ovf(acc + h * v)` (src/hw/mac_pe.ts accRule), on numbers or BigInts by width. */
export function macRule(d: Design): { zero: number | bigint; mac(b: number | bigint, h: number, v: number): number | bigint; toBigInt(x: number | bigint): bigint } {
  return accRule(d) as ReturnType<typeof macRule>;
}

/** Bit lanes (0/1 values) packed lowbit's way: lane i at word i >>> 5, bit i & 31. */
export function packLaneBits(lanes: bigint[]): Uint32Array {
  const out = new Uint32Array(laneWords(lanes.length));
  for (let i = 0; i < lanes.length; i++) out[i >>> 5] |= Number(lanes[i]) << (i & 31);
  return out;
}

/**
 * The XNOR-popcount unit's sum over the beats of each group (up to a beat with last = 1, or every beat
 * when `hasLast` is false), wrapped to Design.accumulator.bits after every beat: XNOR beats add
 * `2 * popcount(XNOR(a, w)) - lanes`, AND-path beats (`and`) add `(neg ? -1 : 1) * 2^shift * popcount(AND(a, w))`.
 */
export function popcountGroups(d: Design, inputs: Txn[], hasLast: boolean, and: boolean): ModelRun {
  const fmt = intFormat(d.accumulator.bits, true);
  const res: ModelRun = { outputs: [], from: [], to: [] };
  let acc = 0;
  let start = 0;
  inputs.forEach((t, k) => {
    const n = t.a.length;
    const pop = wordPopcount(packLaneBits(t.a), packLaneBits(t.w), n, and, n);
    acc = wrapInt(acc + (and ? wordContribution(pop, n, n, true, t.neg[0] === 1n, Number(t.shift[0])) : wordContribution(pop, n, n, false, false, 0)), fmt);
    if (!hasLast || t.last[0] === 1n) {
      res.outputs.push({ dot: [BigInt(acc)] });
      res.from.push(start);
      res.to.push(k);
      acc = 0;
      start = k + 1;
    }
  });
  return res;
}

export const lastOperand: OperandDef = {
  name: 'last',
  dir: 'in',
  optional: true,
  format: () => intFormat(1, false),
  lanes: { fixed: 1 },
  describe: '1 on the final beat of a dot product (unbound: every beat is a whole dot product)',
};

/**
 * mac_pe: a dot product, accumulated as the PE does it, element by element in lane order and beat by
 * beat: `acc = ovf(acc + a[i] * w[i])` (ovf: wrap mod 2^AccBits or saturate, after every add, as
 * Design.accumulator says; src/hw/mac_pe.ts accRule), from 0 at the first beat of a dot product; `acc`
 * is the result on its last beat. Elements travel in the PE's lane formats (laneFormat: a bipolar ±1
 * operand as a 2-bit lane).
 */
export const macPe: BindModel = {
  name: 'mac_pe',
  operands: [
    { name: 'a', dir: 'in', optional: false, format: (d) => laneFormat(d.activation), lanes: 'any', describe: 'activation elements (Design.activation)' },
    { name: 'w', dir: 'in', optional: false, format: (d) => laneFormat(d.weight), lanes: { sameAs: 'a' }, describe: 'weight elements (Design.weight)' },
    lastOperand,
    { name: 'acc', dir: 'out', optional: false, format: (d) => intFormat(d.accumulator.bits, true), lanes: { fixed: 1 }, describe: 'the dot product (Design.accumulator)' },
  ],
  stimulus(d, lanes, bound, seed, groups, beats) {
    const rng = new Rng(seed);
    const fa = laneFormat(d.activation);
    const fw = laneFormat(d.weight);
    const n = lanes.a;
    const hasLast = bound.has('last');
    const out: Txn[] = [];
    const beat = (a: number[], w: number[], last: boolean): void => {
      const t: Txn = { a: a.map(BigInt), w: w.map(BigInt) };
      if (hasLast) t.last = [last ? 1n : 0n];
      out.push(t);
    };
    // directed: every lane at each corner pair (min*min, max*min, ...), over enough beats to overflow
    for (const ca of laneCorners(fa)) {
      for (const cw of laneCorners(fw)) beat(Array(n).fill(ca), Array(n).fill(cw), true);
    }
    for (const size of groupSizes(rng, groups, beats, hasLast)) {
      for (let b = 0; b < size; b++) {
        beat(Array.from({ length: n }, () => randomLane(rng, fa)), Array.from({ length: n }, () => randomLane(rng, fw)), b === size - 1);
      }
    }
    return out;
  },
  run(d, inputs, bound) {
    const rule = macRule(d);
    const res: ModelRun = { outputs: [], from: [], to: [] };
    let acc = rule.zero;
    let start = 0;
    inputs.forEach((t, k) => {
      for (let i = 0; i < t.a.length; i++) acc = rule.mac(acc, Number(t.a[i]), Number(t.w[i]));
      if (!bound.has('last') || t.last[0] === 1n) {
        res.outputs.push({ acc: [rule.toBigInt(acc)] });
        res.from.push(start);
        res.to.push(k);
        acc = rule.zero;
        start = k + 1;
      }
    });
    return res;
  },
};

/**
 * xnor_popcount: a binary (±1) dot product as lowbit's XNOR-popcount unit computes it (src/hw/xnor_popcount.ts).
 * `a` and `w` are bit vectors, bit 1 = +1, one beat = all the port's lanes; per beat
 * `c = 2 * popcount(XNOR(a, w)) - lanes`, and `dot = wrap(sum of c over the beats, AccBits signed)`
 * (Design.accumulator.bits, 2..32), i.e. the number of agreeing minus disagreeing positions.
 */
export const xnorPopcount: BindModel = {
  name: 'xnor_popcount',
  operands: [
    { name: 'a', dir: 'in', optional: false, format: () => intFormat(1, false), lanes: 'any', describe: 'activation bits (1 = +1)' },
    { name: 'w', dir: 'in', optional: false, format: () => intFormat(1, false), lanes: { sameAs: 'a' }, describe: 'weight bits (1 = +1)' },
    lastOperand,
    { name: 'dot', dir: 'out', optional: false, format: (d) => intFormat(d.accumulator.bits, true), lanes: { fixed: 1 }, describe: 'the ±1 dot product (Design.accumulator.bits, wrapping)' },
  ],
  checkDesign(d) {
    checkXnorPopcountParams({ lanes: d.xnor.bitsPerCycle, accBits: d.accumulator.bits, thresholds: d.xnor.thresholds, channels: 1 });
  },
  stimulus(_d, lanes, bound, seed, groups, beats) {
    const rng = new Rng(seed);
    const n = lanes.a;
    const hasLast = bound.has('last');
    const out: Txn[] = [];
    const bits = (kind: number): bigint[] =>
      Array.from({ length: n }, (_, i) => BigInt(kind === 0 ? 0 : kind === 1 ? 1 : kind === 2 ? i & 1 : rng.int(0, 1)));
    const beat = (a: bigint[], w: bigint[], last: boolean): void => {
      const t: Txn = { a, w };
      if (hasLast) t.last = [last ? 1n : 0n];
      out.push(t);
    };
    // directed: all agree (+n), all disagree (-n), half agree, each over one beat
    for (const [ka, kw] of [[1, 1], [0, 0], [1, 0], [0, 1], [2, 2], [2, 1]]) beat(bits(ka), bits(kw), true);
    for (const size of groupSizes(rng, groups, beats, hasLast)) {
      for (let b = 0; b < size; b++) {
        const corner = rng.float() < 0.2;
        beat(bits(corner ? rng.int(0, 2) : 3), bits(corner ? rng.int(0, 2) : 3), b === size - 1);
      }
    }
    return out;
  },
  run(d, inputs, bound) {
    return popcountGroups(d, inputs, bound.has('last'), false);
  },
};

/**
 * requantizer: each lane `y[i] = requantize(acc[i], multiplier, shift)` as lowbit's requantizer computes it
 * (src/hw/requantizer.ts: Design.requant's mode `double`/`single` (TFLite) or `shift` (`roundShift(acc, n,
 * rounding)`), then `+ zeroPoint`, optional ReLU at the zero point, saturation to the output format). `shift` is a
 * 6-bit unsigned right shift n (mode shift) or an 8-bit signed TFLite shift (double/single); `multiplier`
 * a signed 32-bit TFLite multiplier (double/single only). The stimulus keeps one seeded (multiplier, shift)
 * for the whole run, so a design may take them from configuration ports sampled at any time; in shift mode
 * n <= accBits - out.bits, so saturation stays reachable.
 */
export const requantizerModel: BindModel = {
  name: 'requantizer',
  operands: [
    { name: 'acc', dir: 'in', optional: false, format: (d) => intFormat(d.accumulator.bits, true), lanes: 'any', describe: 'accumulators (Design.accumulator.bits)' },
    { name: 'shift', dir: 'in', optional: false, format: (d) => (d.requant.mode === 'shift' ? intFormat(6, false) : intFormat(8, true)), lanes: { fixed: 1 }, describe: 'the shift (mode shift: right shift n, 6 bits unsigned; double/single: TFLite shift, 8 bits signed)' },
    { name: 'multiplier', dir: 'in', optional: true, format: () => intFormat(32, true), lanes: { fixed: 1 }, describe: 'the TFLite multiplier (double/single modes)' },
    { name: 'y', dir: 'out', optional: false, format: (d) => requantizerParams(d, 1).out, lanes: { sameAs: 'acc' }, describe: 'the requantized outputs (Design.requant.out)' },
  ],
  checkDesign(d) {
    requantizerParams(d, 1);
  },
  stimulus(d, lanes, bound, seed, groups) {
    const rng = new Rng(seed);
    const p = requantizerParams(d, 1);
    if (p.mode !== 'shift' && !bound.has('multiplier')) throw new InputError(`model requantizer on design ${d.name} (requant.mode ${p.mode}) needs the multiplier operand bound to a port`);
    const n = lanes.acc;
    const bits = p.accBits;
    const max = formatRange(intFormat(bits, true)).max;
    // a shift that leaves outputs able to saturate: n <= accBits - out.bits (larger n only ever gives small outputs)
    const shift = p.mode === 'shift' ? rng.int(0, Math.max(0, bits - p.out.bits)) : rng.int(-8, 6);
    const multiplier = p.mode === 'single' ? rng.int(2 ** 30, 2 ** 31 - 1) : rng.int(2 ** 30, 2 ** 31 - 1) * (rng.float() < 0.25 ? -1 : 1);
    checkChannelScale(p, multiplier, shift, 'requantizer stimulus');
    const half = p.mode === 'shift' && shift > 0 ? 2 ** (shift - 1) : 1;
    // around zero, around the rounding tie (half = 2^(n-1)), the accumulator's ends, and (shift mode) just
    // inside and outside the output range after scaling (saturation)
    const edge = p.mode === 'shift' ? 2 ** shift * 2 ** (p.out.bits - 1) : 0;
    const corners = [-max - 1, max, 0, 1, -1, half, -half, half - 1, -half + 1, half + 1, -half - 1, 3 * half, -3 * half, edge, -edge, edge - 2 * half * 5, -edge - 2 * half * 5]
      .filter((v) => v >= -max - 1 && v <= max);
    const out: Txn[] = [];
    const txn = (acc: number[]): void => {
      const t: Txn = { acc: acc.map(BigInt), shift: [BigInt(shift)] };
      if (bound.has('multiplier')) t.multiplier = [BigInt(multiplier)];
      out.push(t);
    };
    for (const c of corners) txn(Array(n).fill(c));
    for (let g = 0; g < groups; g++) {
      txn(Array.from({ length: n }, () => (rng.float() < 0.3 ? corners[rng.int(0, corners.length - 1)] : rng.int(-max - 1, max))));
    }
    return out;
  },
  run(d, inputs) {
    const p = requantizerParams(d, 1);
    const res: ModelRun = { outputs: [], from: [], to: [] };
    inputs.forEach((t, k) => {
      const m = t.multiplier === undefined ? 0 : Number(t.multiplier[0]);
      res.outputs.push({ y: t.acc.map((a) => BigInt(requantize(Number(a), m, Number(t.shift[0]), p))) });
      res.from.push(k);
      res.to.push(k);
    });
    return res;
  },
};
