import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  multiplyByQuantizedMultiplier, multiplyByQuantizedMultiplierArray, onnxRescale, onnxRescaleArray,
  quantizeMultiplier, roundingDivideByPOT, srdhm,
} from '../../src/arith/index.js';
import { testSeed } from '../../src/util/rng.js';

const SEED = testSeed(0x7e9a);
console.log(`requant.test.ts seed=${SEED} (reproduce: LOWBIT_SEED=${SEED} npx vitest run test/unit/requant.test.ts)`);

const I32_MIN = -(2 ** 31);
const I32_MAX = 2 ** 31 - 1;

// ---- independent BigInt definitions, transcribed from gemmlowp / TFLite C++ (C truncating division) ----
const tdiv = (a: bigint, b: bigint): bigint => a / b; // BigInt division truncates like C
function refSrdhm(a: number, b: number): number {
  if (a === I32_MIN && b === I32_MIN) return I32_MAX;
  const ab = BigInt(a) * BigInt(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  return Number(tdiv(ab + nudge, 1n << 31n));
}
function refRdbpot(x: number, e: number): number {
  // round(x / 2^e), ties away from zero, as a rational
  const den = 1n << BigInt(e);
  const ax = BigInt(Math.abs(x));
  const q = (2n * ax + den) / (2n * den); // floor(|x|/den + 1/2)
  return Number(x < 0 ? -q : q);
}
function refDouble(x: number, M: number, shift: number): number {
  const left = Math.max(shift, 0);
  const xs = Number(BigInt.asIntN(32, BigInt(x) << BigInt(left))); // int32 multiply wraps
  return refRdbpot(refSrdhm(xs, M), Math.max(-shift, 0));
}
function refSingle(x: number, M: number, shift: number): number {
  const ts = BigInt(31 - shift);
  return Number(BigInt.asIntN(32, (BigInt(x) * BigInt(M) + (1n << (ts - 1n))) >> ts));
}

const i32 = fc.oneof(
  fc.integer({ min: I32_MIN, max: I32_MAX }),
  fc.integer({ min: -300, max: 300 }),
  fc.constantFrom(I32_MIN, I32_MIN + 1, I32_MAX, I32_MAX - 1, 0, 1, -1, 2 ** 30, -(2 ** 30)),
);

describe('requantization (docs/arithmetic.md section 2)', () => {
  it('vectors', () => {
    expect(srdhm(I32_MIN, I32_MIN)).toBe(I32_MAX);
    expect(srdhm(I32_MIN, I32_MAX)).toBe(-2147483647);
    expect(srdhm(5, 2 ** 30)).toBe(3);
    expect(srdhm(-5, 2 ** 30)).toBe(-2);
    expect(roundingDivideByPOT(-5, 1)).toBe(-3);
    expect(roundingDivideByPOT(5, 1)).toBe(3);
    expect(roundingDivideByPOT(-3, 1)).toBe(-2);
    expect(multiplyByQuantizedMultiplier(1822, 2123782081, -2, 'double')).toBe(451);
    expect(multiplyByQuantizedMultiplier(1822, 2123782081, -2, 'single')).toBe(450);
    expect(multiplyByQuantizedMultiplier(-6, 2 ** 30, -1, 'double')).toBe(-2);
    expect(multiplyByQuantizedMultiplier(-6, 2 ** 30, -1, 'single')).toBe(-1);
  });

  it('quantizeMultiplier: frexp, ties away from zero, 2^31 carry, underflow to (0, 0)', () => {
    expect(quantizeMultiplier(0)).toEqual({ multiplier: 0, shift: 0 });
    expect(quantizeMultiplier(0.5)).toEqual({ multiplier: 2 ** 30, shift: 0 });
    expect(quantizeMultiplier(1)).toEqual({ multiplier: 2 ** 30, shift: 1 });
    expect(quantizeMultiplier(0.25)).toEqual({ multiplier: 2 ** 30, shift: -1 });
    expect(quantizeMultiplier(-0.75)).toEqual({ multiplier: -(3 * 2 ** 29), shift: 0 });
    expect(quantizeMultiplier(1 - 2 ** -40)).toEqual({ multiplier: 2 ** 30, shift: 1 }); // M rounds to 2^31
    // q * 2^31 = 2^30 + 0.5 exactly: ties away from zero -> 2^30 + 1
    expect(quantizeMultiplier(0.5 + 2 ** -32)).toEqual({ multiplier: 2 ** 30 + 1, shift: 0 });
    expect(quantizeMultiplier(-(0.5 + 2 ** -32))).toEqual({ multiplier: -(2 ** 30 + 1), shift: 0 });
    expect(quantizeMultiplier(2 ** -32)).toEqual({ multiplier: 2 ** 30, shift: -31 });
    expect(quantizeMultiplier(2 ** -33)).toEqual({ multiplier: 0, shift: 0 });
    expect(quantizeMultiplier(5e-324)).toEqual({ multiplier: 0, shift: 0 });
    fc.assert(
      fc.property(fc.double({ min: 2 ** -30, max: 2 ** 20, noNaN: true }), (m) => {
        const { multiplier, shift } = quantizeMultiplier(m);
        expect(multiplier).toBeGreaterThanOrEqual(2 ** 30);
        expect(multiplier).toBeLessThan(2 ** 31);
        // |M * 2^(shift-31) - m| <= 2^(shift-32): M is the nearest integer to m * 2^(31-shift)
        const scaled = m * 2 ** (31 - shift);
        expect(Math.abs(multiplier - scaled)).toBeLessThanOrEqual(0.5);
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it('srdhm and roundingDivideByPOT equal the BigInt definitions', () => {
    fc.assert(fc.property(i32, i32, (a, b) => { expect(srdhm(a, b)).toBe(refSrdhm(a, b)); }), { seed: SEED, numRuns: 3000 });
    fc.assert(
      fc.property(i32, fc.integer({ min: 0, max: 31 }), (x, e) => { expect(roundingDivideByPOT(x, e)).toBe(refRdbpot(x, e)); }),
      { seed: SEED, numRuns: 3000 },
    );
    // both sides of the |a*b| < 2^52 fast path
    for (const [a, b] of [[67108863, 67108865], [67108864, 67108864], [-67108863, 67108865], [-67108864, 67108864], [67108864, 67108865]]) {
      expect(srdhm(a, b)).toBe(refSrdhm(a, b));
    }
    // srdhm = floor((a*b + 2^30) / 2^31), ties toward +inf (docs/arithmetic.md's closed form)
    fc.assert(
      fc.property(i32, i32, (a, b) => {
        fc.pre(!(a === I32_MIN && b === I32_MIN));
        const p = BigInt(a) * BigInt(b) + (1n << 30n);
        const fl = p >= 0n ? p >> 31n : -((-p + (1n << 31n) - 1n) >> 31n);
        expect(srdhm(a, b)).toBe(Number(fl));
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });

  it('double and single variants equal their BigInt definitions', () => {
    const shifts = fc.integer({ min: -31, max: 30 });
    const Ms = fc.oneof(fc.integer({ min: 0, max: I32_MAX }), fc.integer({ min: 2 ** 30, max: I32_MAX }));
    fc.assert(
      fc.property(i32, Ms, shifts, (x, M, s) => {
        expect(multiplyByQuantizedMultiplier(x, M, s, 'double')).toBe(refDouble(x, M, s));
        expect(multiplyByQuantizedMultiplier(x, M, s, 'single')).toBe(refSingle(x, M, s));
      }),
      { seed: SEED, numRuns: 5000 },
    );
    fc.assert(
      fc.property(i32, fc.integer({ min: I32_MIN, max: -1 }), shifts, (x, M, s) => {
        expect(multiplyByQuantizedMultiplier(x, M, s, 'double')).toBe(refDouble(x, M, s));
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });

  it('double vs single: differ by 1, only where the first rounding leaves an exact tie for the second', () => {
    // Characterization. For shift >= 0 both compute floor((x*M*2^shift + 2^30) / 2^31) and agree unless
    // the left shift wraps or srdhm saturates. For shift < 0 (r = -shift), let t = srdhm(x, M): the
    // double variant differs from the single one iff t mod 2^r == 2^(r-1) (an exact tie in RDBPOT) and
    // the exact value x*M/2^(31+r) is not itself on the rounded-away side; then double - single = sign(t).
    let differ = 0;
    let total = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 20), max: 2 ** 20 }),
        fc.integer({ min: 2 ** 30, max: I32_MAX }),
        fc.integer({ min: -6, max: 4 }),
        (x, M, s) => {
          total++;
          const d = multiplyByQuantizedMultiplier(x, M, s, 'double');
          const g = multiplyByQuantizedMultiplier(x, M, s, 'single');
          if (s >= 0) {
            expect(d).toBe(g);
            return;
          }
          const r = -s;
          const t = srdhm(x, M);
          const tie = (t & ((1 << r) - 1)) === 1 << (r - 1);
          if (d !== g) {
            differ++;
            expect(tie).toBe(true);
            expect(d - g).toBe(Math.sign(t));
          }
          if (!tie) expect(d).toBe(g);
        },
      ),
      { seed: SEED, numRuns: 10000 },
    );
    // exhaustive small case: every x in [-4096, 4096] with M = 2^30 + 1 and shift = -3
    for (let x = -4096; x <= 4096; x++) {
      const d = multiplyByQuantizedMultiplier(x, 2 ** 30 + 1, -3, 'double');
      const g = multiplyByQuantizedMultiplier(x, 2 ** 30 + 1, -3, 'single');
      expect(Math.abs(d - g)).toBeLessThanOrEqual(1);
    }
    console.log(`double != single on ${differ} of ${total} random inputs (|x| <= 2^20, shift -6..4)`);
    expect(differ).toBeGreaterThan(0);
  });

  it('batch kernels equal the scalar ones (per-channel, inner runs)', () => {
    const x = Int32Array.from([1822, -6, 100000, -100000, 7, I32_MAX, I32_MIN, 0, 12345]);
    const M = Int32Array.from([2123782081, 2 ** 30, 1518500250]);
    const sh = Int32Array.from([-2, -1, 3]);
    const out = new Int32Array(x.length);
    for (const v of ['double', 'single'] as const) {
      for (const inner of [1, 2]) {
        multiplyByQuantizedMultiplierArray(x, M, sh, v, out, inner);
        const exp = Array.from(x, (xi, i) => {
          const c = Math.floor(i / inner) % 3;
          return multiplyByQuantizedMultiplier(xi, M[c], sh[c], v);
        });
        expect(Array.from(out)).toEqual(exp);
      }
    }
  });

  it('ONNX Runtime float32 rescale: float(acc) * scale, clamp to [qmin-zp, qmax-zp], half-even, + zp', () => {
    expect(onnxRescale(5, 0.5, 0, -128, 127)).toBe(2);
    expect(onnxRescale(7, 0.5, 0, -128, 127)).toBe(4);
    expect(onnxRescale(-5, 0.5, 0, -128, 127)).toBe(-2);
    expect(onnxRescale(5, 0.5, 3, 0, 255)).toBe(5);
    expect(onnxRescale(1000, 1, 10, -128, 127)).toBe(127);
    expect(onnxRescale(-1000, 1, 10, -128, 127)).toBe(-128);
    // float32 effects: acc 16777217 -> float32 16777216
    expect(onnxRescale(16777217, 2 ** -24, 0, -128, 127)).toBe(1);
    // scale rounded to float32 first (0.100000001490116...); 25 * that = 2.50000003725... rounds in
    // float32 to exactly 2.5, a tie -> 2 (a float64 rescale would give 3)
    expect(onnxRescale(25, 0.1, 0, -128, 127)).toBe(2);
    expect(Math.round(25 * Math.fround(0.1))).toBe(3);
    const acc = Int32Array.from([5, 7, -5, 1000, -1000, 25]);
    const out = new Int32Array(acc.length);
    onnxRescaleArray(acc, Float32Array.from([0.5, 0.1]), 3, 0, 255, out);
    expect(Array.from(out)).toEqual(Array.from(acc, (a, i) => onnxRescale(a, [0.5, 0.1][i % 2], 3, 0, 255)));
  });

  it('bad input', () => {
    expect(() => srdhm(2 ** 31, 1)).toThrow(/^a: got 2147483648; allowed: an int32/);
    expect(() => roundingDivideByPOT(1, 32)).toThrow(/^e: got 32; allowed: an integer exponent 0..31/);
    expect(() => multiplyByQuantizedMultiplier(1, 1, 31, 'double')).toThrow(/^shift: got 31; allowed: an integer -31..30/);
    expect(() => multiplyByQuantizedMultiplier(1, -1, 0, 'single')).toThrow(/^M: got -1/);
    expect(() => multiplyByQuantizedMultiplier(1, 1, 0, 'triple' as 'single')).toThrow(/^variant: got "triple"/);
    expect(() => quantizeMultiplier(NaN)).toThrow(/^m: got NaN; allowed: a finite number/);
    expect(() => onnxRescale(1, 1, 0, 10, 5)).toThrow(/^qmin: got 10/);
    expect(() =>
      multiplyByQuantizedMultiplierArray(new Int32Array(2), new Int32Array(2), new Int32Array(1), 'double', new Int32Array(2)),
    ).toThrow(/^shift.length: got 1/);
  });
});
