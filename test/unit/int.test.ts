import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  castInt, castIntBig, intMax, intMin, saturateInt, saturateIntBig, wrapInt, wrapIntBig, castIntArray, intFormat, BINARY, type IntFormat,
} from '../../src/arith/index.js';
import { InputError } from '../../src/util/errors.js';
import { testSeed } from '../../src/util/rng.js';

const EDGE_WIDTHS = [1, 2, 7, 8, 16, 31, 32, 33, 53, 54, 63, 64];
const SEED = testSeed(0x1a7e);
console.log(`int.test.ts seed=${SEED} (reproduce: LOWBIT_SEED=${SEED} npx vitest run test/unit/int.test.ts)`);

/** Independent definition: WRAP is the residue mod 2^W moved into the format's range. */
function refWrap(x: bigint, bits: number, signed: boolean): bigint {
  const m = 1n << BigInt(bits);
  let r = ((x % m) + m) % m;
  if (signed && r >= m / 2n) r -= m;
  return r;
}

describe('int formats (docs/arithmetic.md section 1, WRAP/SAT)', () => {
  it('ap_fixed<4,4,TRN,WRAP|SAT> vectors', () => {
    const f = intFormat(4, true);
    const xs = [19, -19, 8, -8, -9];
    expect(xs.map((x) => castInt(x, f, 'WRAP'))).toEqual([3, -3, -8, -8, 7]);
    expect(xs.map((x) => castInt(x, f, 'SAT'))).toEqual([7, -8, 7, -8, -8]);
    expect(xs.map((x) => castIntBig(BigInt(x), f, 'WRAP'))).toEqual([3n, -3n, -8n, -8n, 7n]);
    expect(xs.map((x) => castIntBig(BigInt(x), f, 'SAT'))).toEqual([7n, -8n, 7n, -8n, -8n]);
  });

  it('range ends at every edge width', () => {
    for (const bits of EDGE_WIDTHS) {
      expect(intMin(intFormat(bits, true))).toBe(-(1n << BigInt(bits - 1)));
      expect(intMax(intFormat(bits, true))).toBe((1n << BigInt(bits - 1)) - 1n);
      expect(intMin(intFormat(bits, false))).toBe(0n);
      expect(intMax(intFormat(bits, false))).toBe((1n << BigInt(bits)) - 1n);
    }
    expect(wrapInt(2 ** 31, intFormat(32, true))).toBe(-(2 ** 31));
    expect(wrapInt(-1, intFormat(32, false))).toBe(2 ** 32 - 1);
    expect(wrapInt(-1, intFormat(53, false))).toBe(2 ** 53 - 1);
    expect(wrapInt(2 ** 52, intFormat(53, true))).toBe(-(2 ** 52));
    expect(wrapInt(-1, intFormat(64, true))).toBe(-1);
    expect(wrapIntBig(-1n, intFormat(64, false))).toBe(2n ** 64n - 1n);
    expect(wrapIntBig(2n ** 63n, intFormat(64, true))).toBe(-(2n ** 63n));
    expect(saturateInt(-(2 ** 53) + 1, intFormat(64, false))).toBe(0);
    expect(saturateInt(2 ** 53 - 1, intFormat(53, true))).toBe(2 ** 52 - 1);
  });

  it('WRAP equals x mod 2^W and the number path equals the BigInt path at the edge widths', () => {
    for (const bits of EDGE_WIDTHS) {
      for (const signed of [true, false]) {
        const f = intFormat(bits, signed);
        fc.assert(
          fc.property(fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }), (x) => {
            expect(wrapIntBig(x, f)).toBe(refWrap(x, bits, signed));
            const lo = intMin(f);
            const hi = intMax(f);
            expect(saturateIntBig(x, f)).toBe(x < lo ? lo : x > hi ? hi : x);
          }),
          { seed: SEED, numRuns: 100 },
        );
        fc.assert(
          fc.property(fc.maxSafeInteger(), (x) => {
            const exact = refWrap(BigInt(x), bits, signed);
            if (exact >= -(2n ** 53n) + 1n && exact <= 2n ** 53n - 1n) {
              expect(wrapInt(x, f)).toBe(Number(exact));
            } else {
              expect(() => wrapInt(x, f)).toThrow(InputError);
            }
            expect(saturateInt(x, f)).toBe(Number(saturateIntBig(BigInt(x), f)));
          }),
          { seed: SEED, numRuns: 120 },
        );
      }
    }
  });

  it('batch cast equals the scalar cast', () => {
    const src = [19, -19, 8, -8, -9, 0, 2 ** 40 + 3];
    const out = new Int32Array(src.length);
    castIntArray(src, intFormat(4, true), 'WRAP', out);
    expect(Array.from(out)).toEqual(src.map((x) => wrapInt(x, intFormat(4, true))));
    castIntArray(src, intFormat(8, false), 'SAT', out);
    expect(Array.from(out)).toEqual([19, 0, 8, 0, 0, 0, 255]);
  });

  it('bad input names the argument and the allowed range', () => {
    expect(() => wrapInt(1, intFormat(0, true))).toThrow('format.bits: got 0; allowed: an integer 1..64');
    expect(() => wrapInt(1, intFormat(65, true))).toThrow('format.bits: got 65; allowed: an integer 1..64');
    expect(() => wrapInt(1.5, intFormat(8, true))).toThrow(/^x: got 1.5; allowed: a safe integer/);
    expect(() => saturateInt(NaN, intFormat(8, true))).toThrow(/^x: got NaN/);
    expect(() => wrapInt(2 ** 53, intFormat(8, true))).toThrow(InputError);
    expect(() => castInt(1, intFormat(8, true), 'SAT_ZERO' as 'SAT')).toThrow('overflow: got "SAT_ZERO"; allowed: WRAP or SAT');
    expect(() => wrapInt(-1, intFormat(64, false))).toThrow(/use wrapIntBig/);
    expect(() => castIntArray([1, 2], intFormat(8, true), 'WRAP', new Int32Array(1))).toThrow(/^out.length: got 1/);
    // the int variant of NumFormat only: a binary (±1) format or an untagged {bits, signed} is refused
    expect(() => wrapInt(1, BINARY as unknown as IntFormat)).toThrow(`format.type: got "binary"; allowed: 'int' (an integer format)`);
    expect(() => saturateIntBig(1n, { bits: 8, signed: true } as IntFormat)).toThrow(/^format.type: got undefined/);
  });
});
