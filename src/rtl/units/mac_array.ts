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
 * Stimulus and model are on harness words (`unitFromWords`): the lanes of h_i, v_i, ps_i and y_o are packed
 * fields (`putLanes`/`getLanes`; `putFieldBig`/`getFieldBig` when the accumulator is a BigInt, above 52 bits).
 */
import { BINARY, formatRange, intFormat, type IntFormat, type NumFormat } from '../../arith/format.js';
import type { Design } from '../../hw/design.js';
import { PRESETS } from '../../hw/presets.js';
import { MacArray, peRegisterPath, type MacArrayInputs } from '../../hw/mac_array.js';
import { tagBits, type AccRule, type AccValue } from '../../hw/mac_rule.js';
import { macVerilogParams } from '../../hw/mac_pe.js';
import { peKind, peLanes, peRule, peVerilogParams, shiftLevels } from '../../hw/pe_kind.js';
import { simulateGemm } from '../../hw/gemm_schedule.js';
import { Rng } from '../../util/rng.js';
import type { PortSpec, UnitDesign, UnitSpec, WordsModelRun } from '../unit.js';
import { getFieldBig, getLanes, portLayout, putFieldBig, putLanes, putRandomBits, unitFromWords, WordsWriter } from '../unit_words.js';
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

/** The word layout of the ports (offsets within each direction's vector, words per cycle). */
function layout(d: Design): { g: ReturnType<typeof geom> } & ReturnType<typeof portLayout> {
  return { g: geom(d), ...portLayout(ports(d)) };
}

/** A random operand value of a Design format (bipolar: +-1), at a corner with probability 0.3. */
function randomOperand(rng: Rng, f: NumFormat): number {
  if (f.type === 'binary') return rng.float() < 0.5 ? -1 : 1;
  return randomLane(rng, f);
}

/**
 * The stimulus on harness words, and what each GEMM's own fresh array put on y_o in each recorded cycle
 * (`null` where y_valid_o was low or the cycle is filler): the unit tests check that one array run over the
 * whole stimulus gives the same rows, i.e. that the state carried over between GEMMs is harmless.
 */
export function macArrayStimulus(d: Design, seed: number, cases: number): { stim: Uint32Array; rows: (bigint[] | null)[] } {
  const rows: (bigint[] | null)[] = [];
  const stim = draw(d, seed, cases, rows);
  return { stim, rows };
}

/** The stimulus (`rows`, when given, gets the fresh arrays' y_o rows, see `macArrayStimulus`). */
function draw(d: Design, seed: number, cases: number, rows?: (bigint[] | null)[]): Uint32Array {
  const { g, at, inStride } = layout(d);
  const { h_valid_i: HV, h_i: H, v_valid_i: VV, v_i: V, last_i: LAST, tag_i: TAG, ps_i: PS } = at;
  const { R, C, acc } = g;
  const hBits = g.h.bits, vBits = g.v.bits;
  const big = typeof peRule(d).zero === 'bigint'; // the controller's partial sums are the rule's values
  const rng = new Rng(seed);
  const randomGemms = Math.max(2, Math.ceil(cases / 100));
  // a random GEMM takes about (M/R)(N/C)(K + R) + R + C cycles, M, N, K up to 2R+1, 2C+1, 2R+2
  const out = new WordsWriter(inStride, 64 + (randomGemms + 4) * (8 * R + C + 16));
  const record = (i: MacArrayInputs<AccValue>, arr: MacArray<AccValue>): void => {
    rows?.push(arr.yValid() ? Array.from({ length: C }, (_, c) => BigInt(arr.y(c))) : null);
    const o = out.next();
    const w = out.words;
    w[o + HV] = i.hValid ? 1 : 0;
    putLanes(w, o + H, i.h, R, hBits);
    w[o + VV] = i.vValid ? 1 : 0;
    putLanes(w, o + V, i.v, C, vBits);
    w[o + LAST] = i.last ? 1 : 0;
    w[o + TAG] = i.tag;
    if (big) for (let c = 0; c < C; c++) putFieldBig(w, o + PS, c * acc, i.ps[c] as bigint, acc);
    else putLanes(w, o + PS, i.ps as number[], C, acc);
  };
  const junk = (): void => {
    for (let t = 0; t < 3; t++) {
      rows?.push(null);
      const o = out.next();
      const w = out.words;
      putRandomBits(rng, w, o + H, R * hBits);
      putRandomBits(rng, w, o + V, C * vBits);
      w[o + LAST] = rng.int(0, 1);
      putRandomBits(rng, w, o + TAG, g.tag);
      putRandomBits(rng, w, o + PS, C * acc);
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
  gemm(R, 1, C, ra, rw, 0);
  gemm(R + 1, R + 1, C + 1, ra, rw, 0);
  const K = 2 * R + 3;
  gemm(Math.min(R, 2), K, 2, () => aMax, (k, n) => ((k < K / 2) === (n === 0) ? wMax : wMin), 0);
  const corner = (f: NumFormat): number => {
    const r = formatRange(f);
    return rng.float() < 0.5 ? r.min : r.max;
  };
  gemm(R, R + 2, C, () => corner(d.activation), () => (rng.float() < 0.5 ? wMin : wMax), 0);
  for (let i = 0; i < randomGemms; i++) {
    gemm(rng.int(1, 2 * R + 1), rng.int(1, 2 * R + 2), rng.int(1, 2 * C + 1), ra, rw, 0.15);
  }
  return out.finish();
}

function stimulus(d: Design, seed: number, cases: number): Uint32Array {
  return draw(d, seed, cases);
}

/**
 * One array over the whole stimulus. Outputs are registers, sampled before the step; lanes are read and
 * written as packed fields (numbers, or BigInts when the accumulate rule's values are, above 52 bits).
 * Traces: each corner PE's `acc_q` (signed) and `s_q` (its lane's unsigned bit pattern).
 */
function model(d: Design, stim: Uint32Array): WordsModelRun {
  const { g, at, inStride: S, outStride: Y } = layout(d);
  const { h_valid_i: HV, h_i: H, v_valid_i: VV, v_i: V, last_i: LAST, tag_i: TAG, ps_i: PS, y_valid_o: YV, y_o: YO } = at;
  const { R, C, acc } = g;
  const hBits = g.h.bits, vBits = g.v.bits, hSigned = g.h.signed, vSigned = g.v.signed;
  const rule = peRule(d) as AccRule<AccValue>;
  const big = typeof rule.zero === 'bigint';
  const os = d.array.dataflow === 'os';
  const arr = new MacArray<AccValue>(d, rule);
  const inp: MacArrayInputs<AccValue> = {
    hValid: false, h: new Int32Array(R), vValid: false, v: new Int32Array(C), last: false, tag: 0,
    ps: new Array<AccValue>(C).fill(rule.zero),
  };
  const cycles = stim.length / S;
  const outputs = new Uint32Array(cycles * Y);
  const corners = tracedPes(d);
  // the narrowest arrays that hold the values (fresh memory costs a page fault per 4 KiB on first write)
  const accTraces = corners.map(() => (big ? new Array<AccValue>(cycles) : acc <= 32 ? new Int32Array(cycles) : new Float64Array(cycles)));
  const sTraces = corners.map(() => new Uint32Array(cycles)); // lane patterns, vBits <= 32
  const sSpan = 2 ** vBits;
  const lanes = new Array<AccValue>(C);
  for (let t = 0, x = 0, y = 0; t < cycles; t++, x += S, y += Y) {
    outputs[y + YV] = arr.yValid() ? 1 : 0;
    for (let c = 0; c < C; c++) lanes[c] = arr.y(c);
    if (big) for (let c = 0; c < C; c++) putFieldBig(outputs, y + YO, c * acc, lanes[c] as bigint, acc);
    else putLanes(outputs, y + YO, lanes as number[], C, acc);
    for (let k = 0; k < corners.length; k++) {
      const [r, c] = corners[k];
      accTraces[k][t] = arr.peRegister(r, c, 'acc_q') as number; // a BigInt into the plain array when `big`
      const sv = arr.peRegister(r, c, 's_q') as number;
      sTraces[k][t] = sv < 0 ? sv + sSpan : sv;
    }
    inp.hValid = stim[x + HV] === 1;
    getLanes(stim, x + H, R, hBits, hSigned, inp.h);
    inp.vValid = stim[x + VV] === 1;
    getLanes(stim, x + V, C, vBits, vSigned, inp.v);
    inp.last = stim[x + LAST] === 1;
    inp.tag = stim[x + TAG];
    // ps_i enters the PEs in ws/is only (the os array has no partial-sum path)
    if (big && !os) for (let c = 0; c < C; c++) inp.ps[c] = getFieldBig(stim, x + PS, c * acc, acc, true);
    else if (!os) getLanes(stim, x + PS, C, acc, true, inp.ps as number[]);
    arr.step(inp);
  }
  const trace: Record<string, ArrayLike<number | bigint>> = {};
  corners.forEach(([r, c], k) => {
    trace[`acc_${r}_${c}`] = accTraces[k];
    trace[`s_${r}_${c}`] = sTraces[k];
  });
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

export const macArrayUnit: UnitSpec = unitFromWords({
  name: 'mac_array',
  top: 'mac_array',
  hdlFiles: () => hdlFiles('mac_array'),
  parameters: (d) => ({ Rows: d.array.rows, Cols: d.array.cols, ...macVerilogParams(d), ...peVerilogParams(d) }),
  ports,
  designs: macArrayDesigns,
  words: { stimulus, model },
  traceSignals: (d) =>
    tracedPes(d).flatMap(([r, c]) => [
      { vcd: peRegisterPath(r, c, 'acc_q'), model: `acc_${r}_${c}` },
      { vcd: peRegisterPath(r, c, 's_q'), model: `s_${r}_${c}` },
    ]),
});

export default macArrayUnit;
