import { describe, it, expect } from 'vitest';
import { pow2Code, pow2CodeValue } from '../../src/arith/pow2.js';
import { castIntBig, intFormat } from '../../src/arith/index.js';
import { fromJsonOperand, parseDesign, type Design, type OperandJson } from '../../src/hw/design.js';
import { formatRange } from '../../src/arith/format.js';
import { PRESETS } from '../../src/hw/presets.js';
import type { AccRule } from '../../src/hw/mac_rule.js';
import * as pe from '../../src/hw/pe_kind.js';
import { simulateGemm } from '../../src/hw/gemm_schedule.js';
import { InputError } from '../../src/util/errors.js';
import { Rng, testSeed } from '../../src/util/rng.js';

const { peLanes, peRule, peVerilogParams, peWeights } = pe;
// the formats below are written in the Design JSON spelling {bits, signed} (1-bit signed = bipolar)
const J = fromJsonOperand;
const operandRange = (f: OperandJson): [number, number] => [formatRange(J(f)).min, formatRange(J(f)).max];
const weightExpBits = (f: OperandJson): number => pe.weightExpBits(J(f));
const shiftLevels = (f: OperandJson): number[] => pe.shiftLevels(J(f));
const shiftable = (w: ArrayLike<number>, f: OperandJson): boolean => pe.shiftable(w, J(f));

const seed = testSeed(2020);
console.log(`pe_shift.test seed ${seed} (LOWBIT_SEED=${seed} reproduces)`);

/** Independent definition: w is 0 or +-2^e with e < 2^E (|w| has one bit set). */
const isCodable = (w: number, E: number): boolean => {
  const a = Math.abs(w);
  return w === 0 || ((a & (a - 1)) === 0 && a.toString(2).length - 1 < 2 ** E);
};

function shiftDesign(df: Design['array']['dataflow'], w: OperandJson, a: OperandJson, acc: Design['accumulator']): Design {
  const d = structuredClone(PRESETS.int8) as Design;
  d.array = { rows: 3, cols: 2, dataflow: df, pe: 'shift' };
  d.weight = J(w);
  d.activation = J(a);
  d.accumulator = acc;
  return d;
}

describe('power-of-two weight code', () => {
  it('encodes exactly the zero and +-2^e, e < 2^E, and decodes them back (|w| <= 2^12, and 2^e +- 0/1 to 2^17)', () => {
    const ws = new Set<number>();
    for (let w = -(2 ** 12); w <= 2 ** 12; w++) ws.add(w);
    for (let e = 0; e <= 17; e++) for (const d of [-1, 0, 1]) for (const s of [-1, 1]) ws.add(s * (2 ** e + d));
    for (let E = 0; E <= 4; E++) {
      const seen = new Set<number>();
      const bad: string[] = [];
      for (const w of ws) {
        const c = pow2Code(w, E);
        if ((c !== undefined) !== isCodable(w, E)) bad.push(`w ${w}: code ${c}`);
        if (c === undefined) continue;
        if (pow2CodeValue(c, E) !== w || c >= 2 ** (E + 2)) bad.push(`w ${w}: code ${c} decodes to ${pow2CodeValue(c, E)}`);
        seen.add(c);
      }
      expect(bad, `E ${E}`).toEqual([]);
      // every nz code is reached once, the zero weight has code 0
      expect(seen.size).toBe(2 ** (E + 1) + 1);
      expect(pow2Code(0, E)).toBe(0);
    }
  });

  it('decodes every code as nz ? (neg ? -2^e : 2^e) : 0 (field layout {nz, neg, e})', () => {
    for (let E = 0; E <= 4; E++) {
      for (let c = 0; c < 2 ** (E + 2); c++) {
        const nz = c >> (E + 1);
        const neg = (c >> E) & 1;
        const e = c % 2 ** E;
        expect(pow2CodeValue(c, E)).toBe(nz ? (neg ? -1 : 1) * 2 ** e : 0);
      }
    }
    expect(pow2Code(-8, 3)).toBe(0b11011);
    expect(pow2Code(1, 0)).toBe(0b10);
    expect(pow2Code(-1, 0)).toBe(0b11);
    expect(pow2Code(3, 4)).toBeUndefined();
    expect(pow2Code(0.5, 4)).toBeUndefined();
  });

  it('exponent bits per weight format reach its largest symmetric power of two', () => {
    const E = (bits: number, signed: boolean): number => weightExpBits({ bits, signed });
    expect([1, 2, 3, 4, 5, 8, 9, 16].map((b) => E(b, true))).toEqual([0, 0, 1, 2, 2, 3, 3, 4]);
    expect([1, 2, 3, 4, 8, 16].map((b) => E(b, false))).toEqual([0, 1, 2, 2, 3, 4]);
    for (let bits = 1; bits <= 16; bits++) {
      for (const signed of [true, false]) {
        const f = { bits, signed };
        const [lo, hi] = operandRange(f);
        const top = signed ? (bits === 1 ? 1 : 2 ** (bits - 2)) : 2 ** (bits - 1);
        // the symmetric top level has a code, twice it would not fit the format
        expect(pow2Code(top, weightExpBits(f))).toBeDefined();
        const lv = shiftLevels(f);
        const brute: number[] = [];
        for (let w = lo; w <= hi; w++) if (isCodable(w, weightExpBits(f)) && !(bits === 1 && signed && w === 0)) brute.push(w);
        expect(lv).toEqual(brute);
        expect(shiftable(lv, f)).toBe(true);
      }
    }
    expect(shiftLevels({ bits: 2, signed: true })).toEqual([-1, 0, 1]);
    expect(shiftable([1, 0, -1, -2], { bits: 2, signed: true })).toBe(false);
  });
});

describe('shift PE model', () => {
  it('lanes and Verilog parameters: the weight lane is the E+2 bit code on the weight side of the dataflow', () => {
    const d = shiftDesign('os', { bits: 8, signed: true }, { bits: 1, signed: true }, { bits: 32, overflow: 'WRAP' });
    expect(peLanes(d)).toEqual({ h: intFormat(2, true), v: intFormat(5, false) });
    expect(peVerilogParams(d)).toEqual({ WShift: 1, WExpBits: 3 });
    d.array.dataflow = 'is';
    expect(peLanes(d)).toEqual({ h: intFormat(5, false), v: intFormat(2, true) });
    d.array.pe = undefined;
    expect(peVerilogParams(d)).toEqual({ WShift: 0, WExpBits: 0 });
    expect(peLanes(d).h).toEqual(intFormat(8, true));
  });

  it('one step is ovf(base + sign * (a << e)) for every code, activation corner and accumulator boundary', () => {
    for (const df of ['os', 'is'] as const) {
      for (const acc of [{ bits: 8, overflow: 'SAT' as const }, { bits: 8, overflow: 'WRAP' as const }, { bits: 64, overflow: 'SAT' as const }]) {
        const d = shiftDesign(df, { bits: 16, signed: true }, { bits: 16, signed: true }, acc);
        const rule = peRule(d) as AccRule<number | bigint>;
        const E = pe.weightExpBits(d.weight);
        const f = intFormat(acc.bits, true);
        const lim = 2n ** BigInt(acc.bits - 1);
        for (let c = 0; c < 2 ** (E + 2); c++) {
          const nz = (c >> (E + 1)) & 1;
          const neg = (c >> E) & 1;
          const e = BigInt(c & (2 ** E - 1));
          for (const a of [-32768, -1, 0, 1, 3, 32767]) {
            // the datapath's maths on BigInts: shift, then negate
            const mag = BigInt(a) << e;
            const prod = nz ? (neg ? -mag : mag) : 0n;
            for (const base of [-lim, -1n, 0n, 1n, lim - 1n]) {
              const b = acc.bits > 52 ? base : Number(base);
              const got = df === 'is' ? rule.mac(b, c, a) : rule.mac(b, a, c);
              expect(BigInt(got)).toBe(castIntBig(base + prod, f, acc.overflow));
            }
          }
        }
      }
    }
  });

  it('the cycle-accurate array on the shift PE equals the multiplier PE and the sequential reference, every dataflow', () => {
    const rng = new Rng(seed);
    for (let t = 0; t < 24; t++) {
      const df = (['os', 'ws', 'is'] as const)[t % 3];
      const w = [{ bits: 1, signed: true }, { bits: 2, signed: true }, { bits: 4, signed: false }, { bits: 8, signed: true }, { bits: 16, signed: true }][rng.int(0, 4)];
      const a = [{ bits: 1, signed: true }, { bits: 4, signed: false }, { bits: 8, signed: true }][rng.int(0, 2)];
      const acc = [{ bits: 10, overflow: 'SAT' as const }, { bits: 12, overflow: 'WRAP' as const }, { bits: 33, overflow: 'SAT' as const }][rng.int(0, 2)];
      const d = shiftDesign(df, w, a, acc);
      d.array.rows = rng.int(1, 4);
      d.array.cols = rng.int(1, 4);
      const M = rng.int(1, 7), K = rng.int(1, 9), N = rng.int(1, 7);
      const lv = shiftLevels(w);
      const [alo, ahi] = operandRange(a);
      const bip = a.bits === 1 && a.signed;
      const A = Int32Array.from({ length: M * K }, () => (bip ? (rng.float() < 0.5 ? -1 : 1) : rng.int(alo, ahi)));
      const W = Int32Array.from({ length: K * N }, () => lv[rng.int(0, lv.length - 1)]);
      const shift = simulateGemm(d, A, W, M, K, N, { cycleAccurate: true });
      const mul = simulateGemm({ ...d, array: { ...d.array, pe: 'multiplier' } }, A, W, M, K, N, { cycleAccurate: true });
      const fn = simulateGemm(d, A, W, M, K, N, { cycleAccurate: false });
      expect(Array.from(shift.Y, BigInt)).toEqual(Array.from(mul.Y, BigInt));
      expect(Array.from(shift.Y, BigInt)).toEqual(Array.from(fn.Y, BigInt));
      expect(shift.cycles).toBe(mul.cycles);
      // the sequential reference, written out
      const f = intFormat(acc.bits, true);
      for (let m = 0; m < M; m++) {
        for (let n = 0; n < N; n++) {
          let s = 0n;
          for (let k = 0; k < K; k++) s = castIntBig(s + BigInt(A[m * K + k]) * BigInt(W[k * N + n]), f, acc.overflow);
          expect(BigInt(shift.Y[m * N + n])).toBe(s);
        }
      }
    }
  });

  it('refuses a weight without a code, naming it and the fix, on both paths', () => {
    const d = shiftDesign('ws', { bits: 4, signed: true }, { bits: 4, signed: true }, { bits: 16, overflow: 'WRAP' });
    for (const cycleAccurate of [true, false]) {
      expect(() => simulateGemm(d, [1, 1], [2, 3], 1, 2, 1, { cycleAccurate })).toThrow(/W: weight 3 \(index 1\) is not 0 or \+-2\^e with e < 4.*array\.pe "multiplier"/);
    }
    expect(() => peWeights(d, [5], 'layer fc1')).toThrow(InputError);
    expect(Array.from(peWeights(d, [0, 1, -2, 4, -8], 'x'))).toEqual([0, 0b1000, 0b1101, 0b1010, 0b1111]);
  });

  it('Design field array.pe: shift or multiplier; anything else is refused naming the choices', () => {
    const base = structuredClone(PRESETS.int8) as unknown as Record<string, Record<string, unknown>>;
    base.array.pe = 'shift';
    expect(parseDesign(base).array.pe).toBe('shift');
    base.array.pe = 'adder';
    expect(() => parseDesign(base)).toThrow(/array\.pe.*multiplier.*shift/);
  });
});
