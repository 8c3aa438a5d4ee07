import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  addFixed, addFormat, castFixed, castFixedArray, castFixedStochastic, fixedFromFloat, fixedFromFloatStochastic,
  fixedRange, fixedToFloat, fracBits, mulFixed, mulFormat, OVERFLOWS, ROUNDINGS, subFixed, subFormat,
  type FixedFormat, type Overflow, type Rounding,
} from '../../src/arith/index.js';
import { Rng, testSeed } from '../../src/util/rng.js';
import { floorDiv, refOverflow, refRound } from './helpers/arith_ref.js';

const SEED = testSeed(0xf1c5);
console.log(`fixed.test.ts seed=${SEED} (reproduce: LOWBIT_SEED=${SEED} npx vitest run test/unit/fixed.test.ts)`);

const fx = (bits: number, intBits: number, signed = true): FixedFormat => ({ bits, intBits, signed });
const INT32 = fx(32, 32);

/** Reference cast by meaning: the exact rational raw * 2^(Fto - Ffrom), rounded, then overflowed. */
function refCast(raw: bigint, from: FixedFormat, to: FixedFormat, q: Rounding, o: Overflow): bigint {
  const d = fracBits(from) - fracBits(to);
  const num = d >= 0 ? raw : raw * (1n << BigInt(-d));
  const den = d >= 0 ? 1n << BigInt(d) : 1n;
  const v = refRound(num, den, q);
  return refOverflow(v, floorDiv(num, den), to.bits, to.signed, o, from.signed);
}

const formatArb = (maxBits: number) =>
  fc.record({ bits: fc.integer({ min: 1, max: maxBits }), intBits: fc.integer({ min: -8, max: maxBits + 8 }), signed: fc.boolean() });
describe('fixed point (ap_fixed semantics, docs/arithmetic.md section 1)', () => {
  it('full-precision result formats', () => {
    expect(mulFormat(fx(8, 3), fx(6, 2, false))).toEqual(fx(14, 5));
    expect(addFormat(fx(8, 3), fx(6, 2, false))).toEqual(fx(9, 4));
    expect(subFormat(fx(8, 3, false), fx(6, 2, false))).toEqual(fx(9, 4, true));
    expect(addFormat(fx(8, 3, false), fx(6, 2, false))).toEqual(fx(9, 4, false));
  });

  it('ap_fixed<8,8,Q> of {2.5, 3.5, -2.5, -3.5}: all 8 rounding modes (from float and from <8,7>)', () => {
    const expected: Record<Rounding, number[]> = {
      TRN: [2, 3, -3, -4], TRN_ZERO: [2, 3, -2, -3], RND: [3, 4, -2, -3], RND_ZERO: [2, 3, -2, -3],
      RND_MIN_INF: [2, 3, -3, -4], RND_INF: [3, 4, -3, -4], RND_CONV: [2, 4, -2, -4], RND_CONV_ODD: [3, 3, -3, -3],
    };
    const xs = [2.5, 3.5, -2.5, -3.5];
    for (const q of ROUNDINGS) {
      expect(xs.map((x) => Number(fixedFromFloat(x, fx(8, 8), q, 'WRAP')))).toEqual(expected[q]);
      expect(xs.map((x) => Number(castFixed(BigInt(x * 2), fx(8, 7), fx(8, 8), q, 'SAT')))).toEqual(expected[q]);
    }
  });

  it('ap_fixed<4,4,TRN,O> of {19, -19, 8, -8, -9}: all 5 overflow modes (from int and from float)', () => {
    const expected: Record<Overflow, number[]> = {
      WRAP: [3, -3, -8, -8, 7], SAT: [7, -8, 7, -8, -8], SAT_ZERO: [0, 0, 0, -8, 0],
      SAT_SYM: [7, -7, 7, -7, -7], WRAP_SM: [-4, 2, 7, -8, -8],
    };
    const xs = [19, -19, 8, -8, -9];
    for (const o of OVERFLOWS) {
      expect(xs.map((x) => Number(castFixed(BigInt(x), INT32, fx(4, 4), 'TRN', o)))).toEqual(expected[o]);
      expect(xs.map((x) => Number(fixedFromFloat(x, fx(4, 4), 'TRN', o)))).toEqual(expected[o]);
      const out = new Int32Array(xs.length);
      castFixedArray(xs, INT32, fx(4, 4), 'TRN', o, out);
      expect(Array.from(out)).toEqual(expected[o]);
    }
  });

  it('castFixed equals the rational reference for every rounding x overflow on random formats', () => {
    for (const q of ROUNDINGS) {
      for (const o of OVERFLOWS) {
        fc.assert(
          fc.property(formatArb(70), formatArb(70), fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }), (from, to, r) => {
            if (o === 'WRAP_SM') to = { ...to, signed: true };
            const { min, max } = fixedRange(from);
            const raw = min + (((r % (max - min + 1n)) + (max - min + 1n)) % (max - min + 1n));
            expect(castFixed(raw, from, to, q, o)).toBe(refCast(raw, from, to, q, o));
          }),
          { seed: SEED, numRuns: 150 },
        );
      }
    }
  });

  it('number batch path equals castFixed at the edge widths', () => {
    const widths = [1, 2, 7, 8, 16, 31, 32, 33, 53];
    for (const q of ROUNDINGS) {
      for (const o of OVERFLOWS) {
        fc.assert(
          fc.property(
            fc.constantFrom(...widths), fc.integer({ min: -4, max: 40 }), fc.boolean(),
            fc.constantFrom(...widths), fc.integer({ min: -4, max: 40 }), fc.boolean(), fc.bigInt({ min: 0n, max: 2n ** 60n }),
            (wf, If, sf, wt, It, st, r) => {
              const from = fx(wf, If, sf);
              const to = fx(wt, It, o === 'WRAP_SM' ? true : st);
              const { min, max } = fixedRange(from);
              const raw = min + (r % (max - min + 1n));
              const out = new Float64Array(1);
              castFixedArray([Number(raw)], from, to, q, o, out);
              expect(out[0]).toBe(Number(castFixed(raw, from, to, q, o)));
            },
          ),
          { seed: SEED, numRuns: 120 },
        );
      }
    }
  });

  it('full-precision add/sub/mul are exact and fit their result formats', () => {
    fc.assert(
      fc.property(formatArb(40), formatArb(40), fc.bigInt(), fc.bigInt(), (fa, fb, r1, r2) => {
        const ra = fixedRange(fa);
        const rb = fixedRange(fb);
        const a = ra.min + (((r1 % (ra.max - ra.min + 1n)) + (ra.max - ra.min + 1n)) % (ra.max - ra.min + 1n));
        const b = rb.min + (((r2 % (rb.max - rb.min + 1n)) + (rb.max - rb.min + 1n)) % (rb.max - rb.min + 1n));
        const Fa = fracBits(fa);
        const Fb = fracBits(fb);
        // exact values as rationals over 2^K
        const K = 200;
        const va = a << BigInt(K - Fa);
        const vb = b << BigInt(K - Fb);
        for (const [fmt, raw, exact] of [
          [addFormat(fa, fb), addFixed(a, fa, b, fb), va + vb],
          [subFormat(fa, fb), subFixed(a, fa, b, fb), va - vb],
          [mulFormat(fa, fb), mulFixed(a, fa, b, fb), (a * b) << BigInt(K - Fa - Fb)],
        ] as const) {
          const { min, max } = fixedRange(fmt);
          expect(raw >= min && raw <= max).toBe(true);
          expect(raw << BigInt(K - fracBits(fmt))).toBe(exact);
        }
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it('fixedFromFloat equals the rational reference; fixedToFloat inverts exact values', () => {
    for (const q of ROUNDINGS) {
      fc.assert(
        fc.property(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), formatArb(40), (n, to) => {
          const x = n / 2 ** 24; // exact double = n / 2^24
          const o: Overflow = 'SAT';
          const F = fracBits(to);
          const num = F >= 24 ? BigInt(n) << BigInt(F - 24) : BigInt(n);
          const den = F >= 24 ? 1n : 1n << BigInt(24 - F);
          const v = refRound(num, den, q);
          expect(fixedFromFloat(x, to, q, o)).toBe(refOverflow(v, floorDiv(num, den), to.bits, to.signed, o, true));
        }),
        { seed: SEED, numRuns: 300 },
      );
    }
    expect(fixedToFloat(-5n, fx(8, 7))).toBe(-2.5);
    expect(fixedToFloat(3n, fx(4, 8))).toBe(48);
    expect(fixedFromFloat(5e-324, fx(8, 1), 'RND_INF', 'SAT')).toBe(0n);
    expect(fixedFromFloat(-5e-324, fx(8, 1), 'TRN', 'SAT')).toBe(-1n);
    expect(fixedFromFloat(1e300, fx(8, 1), 'TRN', 'SAT')).toBe(127n);
  });

  it('stochastic rounding: seeded, reproducible, floor or floor+1, exact values untouched, unbiased', () => {
    const to = fx(8, 8);
    const from = fx(16, 8); // 8 fraction bits
    const a = new Rng(SEED);
    const b = new Rng(SEED);
    let ups = 0;
    const N = 4000;
    const bad: bigint[] = [];
    for (let i = 0; i < N; i++) {
      const r = castFixedStochastic(64n + 3n * 256n, from, to, 'SAT', a); // 3.25
      if (r !== castFixedStochastic(64n + 3n * 256n, from, to, 'SAT', b) || (r !== 3n && r !== 4n)) bad.push(r);
      if (r === 4n) ups++;
    }
    expect(bad).toEqual([]);
    // P(up) = 0.25: expect 1000 of 4000, standard deviation 27.4; a +-6 sd window
    expect(ups).toBeGreaterThan(835);
    expect(ups).toBeLessThan(1165);
    const rng = new Rng(SEED + 1);
    for (let i = 0; i < 100; i++) expect(castFixedStochastic(5n * 256n, from, to, 'SAT', rng)).toBe(5n);
    let upsNeg = 0;
    for (let i = 0; i < N; i++) {
      const r = fixedFromFloatStochastic(-2.75, to, 'SAT', rng);
      if (r !== -3n && r !== -2n) bad.push(r);
      if (r === -2n) upsNeg++;
    }
    expect(bad).toEqual([]);
    expect(upsNeg).toBeGreaterThan(835);
    expect(upsNeg).toBeLessThan(1165);
  });

  it('STOCHASTIC is a named rounding of castFixed and fixedFromFloat: the same draws as the stochastic casts, and it needs an Rng', () => {
    const from = fx(16, 8);
    const to = fx(8, 8);
    const a = new Rng(SEED + 7);
    const b = new Rng(SEED + 7);
    for (let i = 0; i < 200; i++) {
      const raw = BigInt(i * 37 - 3000);
      expect(castFixed(raw, from, to, 'STOCHASTIC', 'SAT', a)).toBe(castFixedStochastic(raw, from, to, 'SAT', b));
      const x = (i - 100) / 7;
      expect(fixedFromFloat(x, to, 'STOCHASTIC', 'SAT', a)).toBe(fixedFromFloatStochastic(x, to, 'SAT', b));
    }
    expect(() => castFixed(1n, from, to, 'STOCHASTIC', 'SAT')).toThrow(/^rng: .*a seeded Rng for STOCHASTIC rounding/);
  });

  it('bad input names the field and the allowed range', () => {
    expect(() => castFixed(1n, fx(0, 0), fx(8, 8), 'TRN', 'WRAP')).toThrow(/^from.bits: got 0; allowed: an integer 1..1024/);
    expect(() => castFixed(1n, fx(8, 8), fx(8, 8, false), 'TRN', 'WRAP_SM')).toThrow(/^overflow: got "WRAP_SM"; allowed: .*unsigned target/);
    expect(() => castFixed(300n, fx(8, 8), fx(8, 8), 'TRN', 'WRAP')).toThrow(/^raw: got 300n; allowed: a raw value of the format, -128..127/);
    expect(() => castFixed(1n, fx(8, 8), fx(8, 8), 'ROUND' as Rounding, 'WRAP')).toThrow(/^rounding: got "ROUND"/);
    expect(() => fixedFromFloat(NaN, fx(8, 8), 'TRN', 'WRAP')).toThrow(/^x: got NaN; allowed: a finite number/);
    expect(() => castFixedArray([1.5], fx(8, 8), fx(8, 8), 'TRN', 'WRAP', new Int32Array(1))).toThrow(/^src\[0\]: got 1.5/);
    expect(() => castFixedArray([1], fx(8, 8), fx(60, 8), 'TRN', 'WRAP', new Float64Array(1))).toThrow(/^to.bits: got 60/);
  });
});
