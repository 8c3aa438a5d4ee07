/**
 * UnitSpec adapter for hdl/mac_array.sv <-> src/hw/mac_array.ts (docs/verify.md, "Adding a unit").
 *
 * Parameters come mechanically from the Design (`macVerilogParams` plus Rows, Cols).
 * Stimulus (seeded, deterministic in design/seed/cases): whole GEMMs run back to back through the GEMM
 * controller (`simulateGemm`, cycle-accurate), recording the array's edge inputs every cycle:
 *  1. directed: K = 1 on an exact fit; a shape not divisible by the array in any dimension
 *     (M = R+1, K = R+1, N = C+1); an overflow GEMM (operands at their max, weight columns max-then-min and
 *     min-then-max, so a narrow accumulator wraps or saturates up and then down); all operands at corners;
 *  2. ceil(cases / 100) random GEMMs (M, N up to 2C+1 / 2R+1, K up to 2R+2, operands uniform or at a
 *     corner) with random controller stalls (15 % of the beats become bubbles);
 *  3. between GEMMs, 3 idle cycles with random data on every lane and the valids low.
 * The model runs ONE array over the whole stimulus (the state carries over between GEMMs, like the RTL).
 * Trace: the accumulator and the stationary register of the four corner PEs.
 */
import { BINARY, formatRange, intFormat, type IntFormat, type NumFormat } from '../../arith/format.js';
import type { Design } from '../../hw/design.js';
import { PRESETS } from '../../hw/presets.js';
import { MacArray, peRegisterPath, type MacArrayInputs } from '../../hw/mac_array.js';
import { laneFromBits, laneToBits, tagBits, type AccRule, type AccValue } from '../../hw/mac_rule.js';
import { macVerilogParams } from '../../hw/mac_pe.js';
import { peKind, peLanes, peRule, peVerilogParams, shiftLevels } from '../../hw/pe_kind.js';
import { simulateGemm } from '../../hw/gemm_schedule.js';
import { Rng } from '../../util/rng.js';
import type { PortSpec, UnitDesign, UnitSpec } from '../unit.js';
import { hdlFiles } from '../hdl_manifest.js';
import { randomLane } from './mac_pe.js';

function geom(d: Design): { R: number; C: number; h: IntFormat; v: IntFormat; acc: number; tag: number } {
  return {
    R: d.array.rows, C: d.array.cols, ...peLanes(d), acc: d.accumulator.bits,
    tag: tagBits(d.array.rows),
  };
}

function ports(d: Design): PortSpec[] {
  const g = geom(d);
  return [
    { name: 'h_valid_i', dir: 'in', width: 1 },
    { name: 'h_i', dir: 'in', width: g.R * g.h.bits },
    { name: 'v_valid_i', dir: 'in', width: 1 },
    { name: 'v_i', dir: 'in', width: g.C * g.v.bits },
    { name: 'last_i', dir: 'in', width: 1 },
    { name: 'tag_i', dir: 'in', width: g.tag },
    { name: 'ps_i', dir: 'in', width: g.C * g.acc },
    { name: 'y_valid_o', dir: 'out', width: 1 },
    { name: 'y_o', dir: 'out', width: g.C * g.acc },
  ];
}

function pack(values: ArrayLike<bigint>, n: number, bits: number): bigint {
  let x = 0n;
  for (let i = n - 1; i >= 0; i--) x = (x << BigInt(bits)) | BigInt.asUintN(bits, values[i]);
  return x;
}

function unpack(x: bigint, i: number, bits: number): bigint {
  return BigInt.asUintN(bits, x >> BigInt(i * bits));
}

/** A random operand value of a Design format (bipolar: +-1), at a corner with probability 0.3. */
function randomOperand(rng: Rng, f: NumFormat): number {
  if (f.type === 'binary') return rng.float() < 0.5 ? -1 : 1;
  return randomLane(rng, f);
}

/**
 * The stimulus, and what each GEMM's own fresh array put on y_o in each recorded cycle (`null` where
 * y_valid_o was low or the cycle is filler): the unit tests check that one array run over the whole
 * stimulus gives the same rows, i.e. that the state carried over between GEMMs is harmless.
 */
export function macArrayStimulus(d: Design, seed: number, cases: number): { stim: bigint[][]; rows: (bigint[] | null)[] } {
  const g = geom(d);
  const rng = new Rng(seed);
  const stim: bigint[][] = [];
  const rows: (bigint[] | null)[] = [];
  const record = (i: MacArrayInputs<AccValue>, arr: MacArray<AccValue>): void => {
    rows.push(arr.yValid() ? Array.from({ length: g.C }, (_, c) => BigInt(arr.y(c))) : null);
    const h = Array.from(i.h, (x) => laneToBits(x, g.h));
    const v = Array.from(i.v, (x) => laneToBits(x, g.v));
    const ps = i.ps.map((x) => BigInt(x));
    stim.push([
      i.hValid ? 1n : 0n, pack(h, g.R, g.h.bits), i.vValid ? 1n : 0n, pack(v, g.C, g.v.bits), i.last ? 1n : 0n,
      BigInt(i.tag), pack(ps, g.C, g.acc),
    ]);
  };
  const junk = (): void => {
    for (let t = 0; t < 3; t++) {
      rows.push(null);
      stim.push([
        0n, rng.bigBits(g.R * g.h.bits), 0n, rng.bigBits(g.C * g.v.bits), BigInt(rng.int(0, 1)),
        rng.bigBits(g.tag), rng.bigBits(g.C * g.acc),
      ]);
    }
  };
  const gemm = (M: number, K: number, N: number, a: (m: number, k: number) => number, w: (k: number, n: number) => number, stallP: number): void => {
    const A = new Int32Array(M * K);
    const W = new Int32Array(K * N);
    for (let m = 0; m < M; m++) for (let k = 0; k < K; k++) A[m * K + k] = a(m, k);
    for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) W[k * N + n] = w(k, n);
    simulateGemm(d, A, W, M, K, N, {
      cycleAccurate: true,
      onCycle: (_t, arr, inp) => record(inp, arr),
      stall: stallP > 0 ? () => rng.float() < stallP : undefined,
    });
    junk();
  };
  // the shift PE takes the weights that have a power-of-two code: draw them from those levels
  const levels = peKind(d) === 'shift' ? shiftLevels(d.weight) : undefined;
  const ra = (): number => randomOperand(rng, d.activation);
  const rw = (): number => (levels ? levels[rng.int(0, levels.length - 1)] : randomOperand(rng, d.weight));
  const aMax = formatRange(d.activation).max;
  const [wMin, wMax] = levels ? [levels[0], levels[levels.length - 1]] : [formatRange(d.weight).min, formatRange(d.weight).max];
  gemm(g.R, 1, g.C, ra, rw, 0);
  gemm(g.R + 1, g.R + 1, g.C + 1, ra, rw, 0);
  const K = 2 * g.R + 3;
  gemm(Math.min(g.R, 2), K, 2, () => aMax, (k, n) => ((k < K / 2) === (n === 0) ? wMax : wMin), 0);
  const corner = (f: NumFormat): number => {
    const r = formatRange(f);
    return rng.float() < 0.5 ? r.min : r.max;
  };
  gemm(g.R, g.R + 2, g.C, () => corner(d.activation), () => (rng.float() < 0.5 ? wMin : wMax), 0);
  const randomGemms = Math.max(2, Math.ceil(cases / 100));
  for (let i = 0; i < randomGemms; i++) {
    gemm(rng.int(1, 2 * g.R + 1), rng.int(1, 2 * g.R + 2), rng.int(1, 2 * g.C + 1), ra, rw, 0.15);
  }
  return { stim, rows };
}

function stimulus(d: Design, seed: number, cases: number): bigint[][] {
  return macArrayStimulus(d, seed, cases).stim;
}

function model(d: Design, stim: bigint[][]): { outputs: bigint[][]; trace: Record<string, bigint[]> } {
  const g = geom(d);
  const rule = peRule(d) as AccRule<AccValue>;
  const big = typeof rule.zero === 'bigint';
  const arr = new MacArray<AccValue>(d, rule);
  const inp: MacArrayInputs<AccValue> = {
    hValid: false, h: new Int32Array(g.R), vValid: false, v: new Int32Array(g.C), last: false, tag: 0,
    ps: new Array<AccValue>(g.C).fill(rule.zero),
  };
  const corners = tracedPes(d);
  const outputs: bigint[][] = [];
  const trace: Record<string, bigint[]> = {};
  for (const [r, c] of corners) {
    trace[`acc_${r}_${c}`] = [];
    trace[`s_${r}_${c}`] = [];
  }
  const y = new Array<bigint>(g.C);
  for (const x of stim) {
    for (let c = 0; c < g.C; c++) y[c] = rule.toBigInt(arr.y(c));
    outputs.push([arr.yValid() ? 1n : 0n, pack(y, g.C, g.acc)]);
    for (const [r, c] of corners) {
      trace[`acc_${r}_${c}`].push(rule.toBigInt(arr.peRegister(r, c, 'acc_q') as AccValue));
      trace[`s_${r}_${c}`].push(laneToBits(arr.peRegister(r, c, 's_q') as number, g.v));
    }
    inp.hValid = x[0] === 1n;
    for (let r = 0; r < g.R; r++) inp.h[r] = laneFromBits(unpack(x[1], r, g.h.bits), g.h);
    inp.vValid = x[2] === 1n;
    for (let c = 0; c < g.C; c++) inp.v[c] = laneFromBits(unpack(x[3], c, g.v.bits), g.v);
    inp.last = x[4] === 1n;
    inp.tag = Number(x[5]);
    for (let c = 0; c < g.C; c++) {
      const p = BigInt.asIntN(g.acc, unpack(x[6], c, g.acc));
      inp.ps[c] = big ? p : Number(p);
    }
    arr.step(inp);
  }
  return { outputs, trace };
}

/** The PEs whose accumulators are compared through the VCD: the four corners. */
function tracedPes(d: Design): [number, number][] {
  const R = d.array.rows;
  const C = d.array.cols;
  const all: [number, number][] = [[0, 0], [R - 1, 0], [0, C - 1], [R - 1, C - 1]];
  return all.filter(([r, c], i) => all.findIndex(([r2, c2]) => r2 === r && c2 === c) === i);
}

function variant(label: string, patch: (d: Design) => void): UnitDesign {
  const d = structuredClone(PRESETS.int8) as Design;
  d.name = label;
  patch(d);
  return { label, design: d };
}

/** Designs: all dataflows, non-power-of-two arrays (3x5), 1x1, 1xC and Rx1, edge widths. */
export function macArrayDesigns(): UnitDesign[] {
  const dims = (d: Design, R: number, C: number, df: Design['array']['dataflow']): void => {
    d.array = { rows: R, cols: C, dataflow: df };
  };
  return [
    variant('os-3x5-int8', (d) => dims(d, 3, 5, 'os')),
    variant('ws-3x5-w8a8-acc16-sat', (d) => {
      dims(d, 3, 5, 'ws');
      d.accumulator = { bits: 16, overflow: 'SAT' };
    }),
    variant('is-3x5-w16a7u-acc33-sat', (d) => {
      dims(d, 3, 5, 'is');
      d.weight = intFormat(16, true);
      d.activation = intFormat(7, false);
      d.accumulator = { bits: 33, overflow: 'SAT' };
    }),
    variant('os-1x1-w1a2-acc2-sat', (d) => {
      dims(d, 1, 1, 'os');
      d.weight = BINARY;
      d.activation = intFormat(2, true);
      d.accumulator = { bits: 2, overflow: 'SAT' };
    }),
    variant('ws-2x3-w1a1-acc31-wrap', (d) => {
      dims(d, 2, 3, 'ws');
      d.weight = BINARY;
      d.activation = intFormat(1, false);
      d.accumulator = { bits: 31, overflow: 'WRAP' };
    }),
    variant('is-4x1-w16a16-acc64-sat', (d) => {
      dims(d, 4, 1, 'is');
      d.weight = intFormat(16, true);
      d.activation = intFormat(16, true);
      d.accumulator = { bits: 64, overflow: 'SAT' };
    }),
    variant('os-1x4-w16ua8-acc63-wrap', (d) => {
      dims(d, 1, 4, 'os');
      d.weight = intFormat(16, false);
      d.accumulator = { bits: 63, overflow: 'WRAP' };
    }),
    variant('ws-4x4-int8', (d) => dims(d, 4, 4, 'ws')),
    // the multiplier-free (shift) PE: ternary weights on w2 (add/subtract only) and w8 (shifts 0..7)
    variant('ws-2x3-shift-w2a8-acc16-sat', (d) => {
      dims(d, 2, 3, 'ws');
      d.array.pe = 'shift';
      d.weight = intFormat(2, true);
      d.accumulator = { bits: 16, overflow: 'SAT' };
    }),
    variant('os-3x2-shift-w8a4u-acc32-wrap', (d) => {
      dims(d, 3, 2, 'os');
      d.array.pe = 'shift';
      d.activation = intFormat(4, false);
    }),
    variant('is-2x2-shift-w4ua8-acc20-wrap', (d) => {
      dims(d, 2, 2, 'is');
      d.array.pe = 'shift';
      d.weight = intFormat(4, false);
      d.accumulator = { bits: 20, overflow: 'WRAP' };
    }),
  ];
}

export const macArrayUnit: UnitSpec = {
  name: 'mac_array',
  top: 'mac_array',
  hdlFiles: () => hdlFiles('mac_array'),
  parameters: (d) => ({ Rows: d.array.rows, Cols: d.array.cols, ...macVerilogParams(d), ...peVerilogParams(d) }),
  ports,
  designs: macArrayDesigns,
  stimulus,
  model,
  traceSignals: (d) =>
    tracedPes(d).flatMap(([r, c]) => [
      { vcd: peRegisterPath(r, c, 'acc_q'), model: `acc_${r}_${c}` },
      { vcd: peRegisterPath(r, c, 's_q'), model: `s_${r}_${c}` },
    ]),
};

export default macArrayUnit;
