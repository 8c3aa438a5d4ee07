import { describe, it, expect } from 'vitest';
import { intFormat, type IntFormat } from '../../src/arith/index.js';
import {
  XNOR_POPCOUNT_LATENCY,
  XnorPopcountModel,
  bitSerialCycles,
  bitSerialDot,
  bitSerialWords,
  packBitPlanes,
  planeNeg,
  type XnorPopcountParams,
} from '../../src/hw/index.js';
import { Rng, testSeed } from '../../src/util/rng.js';

function randomVec(rng: Rng, n: number, f: IntFormat): number[] {
  const lo = f.signed ? -(2 ** (f.bits - 1)) : 0;
  const hi = f.signed ? 2 ** (f.bits - 1) - 1 : 2 ** f.bits - 1;
  return Array.from({ length: n }, () => {
    const r = rng.float();
    return r < 0.1 ? lo : r < 0.2 ? hi : rng.int(lo, hi);
  });
}
function plainDot(x: number[], y: number[]): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * y[i];
  return s;
}

const FORMATS: [IntFormat, IntFormat][] = [
  [intFormat(1, false), intFormat(1, false)],
  [intFormat(2, true), intFormat(2, true)],
  [intFormat(4, true), intFormat(3, false)],
  [intFormat(8, true), intFormat(8, true)],
  [intFormat(7, false), intFormat(8, true)],
  [intFormat(16, true), intFormat(16, true)],
  [intFormat(1, true), intFormat(2, true)],
];

describe('bit-serial dot products', () => {
  it('the plane formula equals the plain integer dot product on seeded random data', () => {
    const seed = testSeed(0xb175);
    const rng = new Rng(seed);
    for (const [fx, fy] of FORMATS) {
      for (const n of [1, 5, 32, 33, 100]) {
        const x = randomVec(rng, n, fx);
        const y = randomVec(rng, n, fy);
        const got = bitSerialDot(packBitPlanes(x, fx), fx, packBitPlanes(y, fy), fy, n);
        expect(got, `seed ${seed} ${JSON.stringify([fx, fy])} n ${n}`).toBe(plainDot(x, y));
      }
    }
  });

  it('marks exactly the pairs with one signed MSB plane negative', () => {
    const s4: IntFormat = intFormat(4, true);
    const u4: IntFormat = intFormat(4, false);
    expect(planeNeg(3, 3, s4, s4)).toBe(false); // (-8) * (-8) > 0
    expect(planeNeg(3, 2, s4, s4)).toBe(true);
    expect(planeNeg(3, 3, s4, u4)).toBe(true);
    expect(planeNeg(3, 3, u4, u4)).toBe(false);
  });

  it('the unit model running the schedule returns the plain dot after M*K*ceil(n/lanes) + 3 cycles', () => {
    const seed = testSeed(0x5e1a);
    const rng = new Rng(seed);
    for (const [fx, fy] of FORMATS.slice(0, 5)) {
      for (const lanes of [1, 7, 32, 33]) {
        const n = rng.int(1, 70);
        const p: XnorPopcountParams = { lanes, accBits: 32, thresholds: 1, channels: 1 };
        const x = randomVec(rng, n, fx);
        const y = randomVec(rng, n, fy);
        const words = bitSerialWords(packBitPlanes(x, fx), fx, packBitPlanes(y, fy), fy, n, lanes);
        expect(words.length).toBe(bitSerialCycles(n, lanes, fx, fy));
        const m = new XnorPopcountModel(p);
        const zero = new Uint32Array(Math.ceil(lanes / 32));
        let result: { t: number; dot: number } | undefined;
        for (let t = 0; t < words.length + XNOR_POPCOUNT_LATENCY + 1; t++) {
          const o = m.outputs();
          if (o.valid) result = { t, dot: o.dot };
          const wd = words[t];
          m.step(wd
            ? { thrWe: false, thrCh: 0, thrIdx: 0, thrVal: 0, valid: true, first: wd.first, last: wd.last, and: true,
              neg: wd.neg, shift: wd.shift, nbits: wd.nbits, ch: 0, a: wd.a, w: wd.w, stall: false }
            : { thrWe: false, thrCh: 0, thrIdx: 0, thrVal: 0, valid: false, first: false, last: false, and: false,
              neg: false, shift: 0, nbits: 0, ch: 0, a: zero, w: zero, stall: false });
        }
        expect(result, `seed ${seed} lanes ${lanes} n ${n}`).toEqual({ t: words.length - 1 + XNOR_POPCOUNT_LATENCY, dot: plainDot(x, y) });
      }
    }
  });

  it('rejects values outside the operand format', () => {
    expect(() => packBitPlanes([8], intFormat(4, true))).toThrow(/values\[0\].*i4/);
    expect(() => packBitPlanes([1], intFormat(17, true))).toThrow(/bits/);
  });
});
