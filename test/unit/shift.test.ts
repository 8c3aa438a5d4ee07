import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { roundShift, roundShiftBig, roundShiftArray, ROUNDINGS, type Rounding } from '../../src/arith/index.js';
import { testSeed } from '../../src/util/rng.js';
import { refRound } from './helpers/arith_ref.js';

const SEED = testSeed(0x5417);
console.log(`shift.test.ts seed=${SEED} (reproduce: LOWBIT_SEED=${SEED} npx vitest run test/unit/shift.test.ts)`);

describe('roundShift (THE rounding shift)', () => {
  it('ap_fixed<8,8,Q> of {2.5, 3.5, -2.5, -3.5} (raw values with one fraction bit)', () => {
    const raw = [5, 7, -5, -7];
    const expected: Record<Rounding, number[]> = {
      TRN: [2, 3, -3, -4],
      TRN_ZERO: [2, 3, -2, -3],
      RND: [3, 4, -2, -3],
      RND_ZERO: [2, 3, -2, -3],
      RND_MIN_INF: [2, 3, -3, -4],
      RND_INF: [3, 4, -3, -4],
      RND_CONV: [2, 4, -2, -4],
      RND_CONV_ODD: [3, 3, -3, -3],
    };
    for (const mode of ROUNDINGS) {
      expect(raw.map((x) => roundShift(x, 1, mode))).toEqual(expected[mode]);
      expect(raw.map((x) => roundShiftBig(BigInt(x), 1, mode))).toEqual(expected[mode].map(BigInt));
    }
  });

  it('every mode equals the exact rational reference (BigInt path, any n)', () => {
    for (const mode of ROUNDINGS) {
      fc.assert(
        fc.property(fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }), fc.integer({ min: 0, max: 90 }), (x, n) => {
          expect(roundShiftBig(x, n, mode)).toBe(refRound(x, 1n << BigInt(n), mode));
        }),
        { seed: SEED, numRuns: 300 },
      );
    }
  });

  it('number path equals the BigInt path: int32 fast path, safe integers, shifts past 53', () => {
    const xs = fc.oneof(
      fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      fc.maxSafeInteger(),
      fc.integer({ min: -64, max: 64 }),
    );
    const ns = fc.oneof(fc.integer({ min: 0, max: 33 }), fc.integer({ min: 0, max: 70 }), fc.constantFrom(31, 32, 52, 53, 54, 55, 1000));
    for (const mode of ROUNDINGS) {
      fc.assert(
        fc.property(xs, ns, (x, n) => {
          expect(roundShift(x, n, mode)).toBe(Number(roundShiftBig(BigInt(x), n, mode)));
        }),
        { seed: SEED, numRuns: 400 },
      );
      // exact ties at every power of two
      for (let n = 1; n <= 53; n++) {
        for (const x of [2 ** (n - 1), -(2 ** (n - 1)), 3 * 2 ** (n - 1), -3 * 2 ** (n - 1)]) {
          if (!Number.isSafeInteger(x)) continue;
          expect(roundShift(x, n, mode)).toBe(Number(refRound(BigInt(x), 1n << BigInt(n), mode)));
        }
      }
    }
  });

  it('batch variant equals the scalar one', () => {
    const src = Int32Array.from([5, 7, -5, -7, 0, 2147483647, -2147483648, 12345, -12345]);
    const out = new Int32Array(src.length);
    for (const mode of ROUNDINGS) {
      roundShiftArray(src, 3, mode, out);
      expect(Array.from(out)).toEqual(Array.from(src, (x) => roundShift(x, 3, mode)));
    }
  });

  it('bad input', () => {
    expect(() => roundShift(1.5, 1, 'RND')).toThrow(/^x: got 1.5/);
    expect(() => roundShift(1, -1, 'RND')).toThrow(/^n: got -1; allowed: an integer shift >= 0/);
    expect(() => roundShift(1, 1, 'ROUND' as Rounding)).toThrow(/^mode: got "ROUND"; allowed: one of TRN, /);
    expect(() => roundShiftBig(1n, 0.5, 'RND')).toThrow(/^n: got 0.5/);
  });
});
