import { describe, it, expect } from 'vitest';
import {
  BINARY, clog2, codeFormat, formatBits, formatName, formatRange, intFormat, intMax, intMin, roundHalfEven, roundIncrement, roundReal, ROUNDINGS,
} from '../../src/arith/index.js';
import { Rng, testSeed } from '../../src/util/rng.js';
import { fromJsonOperand, toJsonOperand } from '../../src/hw/design.js';

describe('number formats (src/arith/format.ts): the one range and the one clog2', () => {
  it('int ranges equal intMin/intMax at the edge widths; narrow drops the most negative code', () => {
    for (const bits of [1, 2, 7, 8, 16, 31, 32, 33, 53]) {
      for (const signed of [false, true]) {
        const r = formatRange(intFormat(bits, signed));
        expect([BigInt(r.min), BigInt(r.max)], `${bits} ${signed}`).toEqual([intMin(intFormat(bits, signed)), intMax(intFormat(bits, signed))]);
      }
    }
    expect(formatRange(intFormat(8, true), true)).toEqual({ min: -127, max: 127 });
    expect(formatRange(intFormat(2, true), true)).toEqual({ min: -1, max: 1 });
    expect(formatRange(intFormat(8, false), true)).toEqual({ min: 0, max: 255 });
    expect(formatRange(intFormat(1, true))).toEqual({ min: -1, max: 0 });
  });

  it('binary is ±1 (one bit); a Design operand of 1 signed bit is binary, any other an int', () => {
    expect(formatRange(BINARY)).toEqual({ min: -1, max: 1 });
    expect([formatBits(BINARY), formatName(BINARY)]).toEqual([1, 'binary']);
    expect([formatBits(intFormat(4, false)), formatName(intFormat(4, false)), formatName(intFormat(4, true))]).toEqual([4, 'uint4', 'int4']);
    expect(fromJsonOperand({ bits: 1, signed: true })).toEqual(BINARY);
    expect(fromJsonOperand({ bits: 1, signed: false })).toEqual(intFormat(1, false));
    expect(fromJsonOperand({ bits: 4, signed: true })).toEqual(intFormat(4, true));
    for (const f of [BINARY, intFormat(1, false), intFormat(1, true), intFormat(16, false)]) {
      if (f.type === 'int' && f.bits === 1 && f.signed) continue; // {-1, 0} has no Design spelling
      expect(fromJsonOperand(toJsonOperand(f))).toEqual(f);
    }
  });

  it('the stored code of binary is its bit (1-bit unsigned); an int format is its own code', () => {
    expect(codeFormat(BINARY)).toEqual(intFormat(1, false));
    for (const f of [intFormat(1, true), intFormat(4, false), intFormat(32, true)]) expect(codeFormat(f)).toBe(f);
  });

  it('clog2(n) is the least b with 2^b >= n, exactly, up to 2^53', () => {
    for (let n = 1; n <= 4097; n++) {
      const b = clog2(n);
      expect(2 ** b >= n && (b === 0 || 2 ** (b - 1) < n), `${n}`).toBe(true);
    }
    for (let k = 0; k <= 53; k++) {
      expect(clog2(2 ** k)).toBe(k);
      if (k >= 1 && k <= 52) expect(clog2(2 ** k + 1)).toBe(k + 1);
    }
    expect(() => clog2(0)).toThrow();
    expect(() => clog2(2.5)).toThrow();
  });
});

describe('roundReal: a real rounded by a named mode (src/arith/modes.ts)', () => {
  it('equals floor + the ap_fixed add-one rule on halves, quarters and random reals; RND is Math.round, RND_CONV roundHalfEven', () => {
    const xs = [0, 0.25, 0.5, 0.75, 1.5, 2.5, 3.5, -0.25, -0.5, -0.75, -1.5, -2.5, -3.5, 0.49999999999999994, -0.49999999999999994];
    const rng = new Rng(testSeed(1919));
    for (let i = 0; i < 2000; i++) xs.push((rng.float() - 0.5) * 2 ** (1 + (i % 40)));
    for (const x of xs) {
      for (const mode of ROUNDINGS) {
        // the definition from the binary expansion: x * 2 = (2 floor(x) + qb) + rest, exact for these x
        const fl = Math.floor(x);
        const f = x - fl;
        const ref = fl + (roundIncrement(mode, f >= 0.5, f !== 0 && f !== 0.5, x < 0, Math.abs(fl % 2) === 1) ? 1 : 0);
        expect(roundReal(x, mode) === ref, `${mode} ${x}`).toBe(true);
      }
      expect(roundReal(x, 'RND') === Math.round(x), `RND ${x}`).toBe(true);
      expect(roundReal(x, 'RND_CONV') === roundHalfEven(x), `RND_CONV ${x}`).toBe(true);
    }
    // the ap_fixed<8,8,Q> vectors of docs/arithmetic.md section 1
    const v = [2.5, 3.5, -2.5, -3.5];
    expect(v.map((x) => roundReal(x, 'TRN'))).toEqual([2, 3, -3, -4]);
    expect(v.map((x) => roundReal(x, 'RND_INF'))).toEqual([3, 4, -3, -4]);
    expect(v.map((x) => roundReal(x, 'RND_CONV_ODD'))).toEqual([3, 3, -3, -3]);
    expect(v.map((x) => roundReal(x, 'RND_MIN_INF'))).toEqual([2, 3, -3, -4]);
  });
});
