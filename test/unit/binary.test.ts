import { describe, it, expect } from 'vitest';
import {
  fromLarqBits, packBits, packedWords, popcount32, toLarqBits, unpackBits, xnorDot, xnorDotAt, xnorMatVec,
} from '../../src/arith/index.js';
import { Rng, testSeed } from '../../src/util/rng.js';

const SEED = testSeed(0xb1a7);
console.log(`binary.test.ts seed=${SEED} (reproduce: LOWBIT_SEED=${SEED} npx vitest run test/unit/binary.test.ts)`);

/** Independent definition: the dot product of two ±1 vectors. */
function naiveDot(a: ArrayLike<number>, w: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] >= 0 ? 1 : -1) * (w[i] >= 0 ? 1 : -1);
  return s;
}

function randomSigns(rng: Rng, n: number): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.normal();
  return v;
}

describe('binary XNOR-popcount (docs/arithmetic.md section 5)', () => {
  it('packBits: bit 1 = +1 (v >= 0, also -0), LSB first in 32-bit words, padding 0', () => {
    expect(Array.from(packBits([1, -1, 0, -0, -0.5]))).toEqual([0b01101]);
    const v = new Array(33).fill(-1);
    v[0] = 1;
    v[31] = 1;
    v[32] = 2;
    expect(Array.from(packBits(v))).toEqual([0x80000001, 1]);
    expect(packedWords(0)).toBe(0);
    expect(packedWords(32)).toBe(1);
    expect(packedWords(33)).toBe(2);
  });

  it('popcount32 on edge words', () => {
    expect(popcount32(0)).toBe(0);
    expect(popcount32(0xffffffff)).toBe(32);
    expect(popcount32(-1)).toBe(32);
    expect(popcount32(0x80000000)).toBe(1);
    expect(popcount32(0x55555555)).toBe(16);
    const rng = new Rng(SEED);
    for (let i = 0; i < 2000; i++) {
      const x = rng.u32();
      let c = 0;
      for (let b = 0; b < 32; b++) c += (x >>> b) & 1;
      expect(popcount32(x)).toBe(c);
    }
  });

  it('xnorDot equals the ±1 dot product for any n, and padding bits never count', () => {
    const rng = new Rng(SEED);
    for (const n of [0, 1, 2, 7, 8, 16, 31, 32, 33, 63, 64, 65, 100, 257, 1000]) {
      for (let rep = 0; rep < 20; rep++) {
        const a = randomSigns(rng, n);
        const w = randomSigns(rng, n);
        const pa = packBits(a);
        const pw = packBits(w);
        const expected = naiveDot(a, w);
        expect(xnorDot(pa, pw, n)).toBe(expected);
        expect(xnorDot(pa, pw, n)).toBe(n - 2 * countDiff(a, w));
        // garbage in the padding bits must not change the result
        if (n % 32 !== 0) {
          const ga = pa.slice();
          const gw = pw.slice();
          ga[ga.length - 1] |= ~((1 << (n % 32)) - 1);
          gw[gw.length - 1] &= (1 << (n % 32)) - 1;
          expect(xnorDot(ga, gw, n)).toBe(expected);
        }
      }
    }
  });

  it('xnorMatVec / xnorDotAt over rows stored back to back', () => {
    const rng = new Rng(SEED + 1);
    const rows = 5;
    const K = 70;
    const wpr = packedWords(K);
    const W = new Uint32Array(rows * wpr);
    const Wf: Float32Array[] = [];
    for (let r = 0; r < rows; r++) {
      Wf.push(randomSigns(rng, K));
      packBits(Wf[r], W.subarray(r * wpr, (r + 1) * wpr));
    }
    const x = randomSigns(rng, K);
    const out = xnorMatVec(W, rows, K, packBits(x), new Int32Array(rows));
    expect(Array.from(out)).toEqual(Wf.map((row) => naiveDot(row, x)));
    expect(xnorDotAt(W, 2 * wpr, packBits(x), 0, K)).toBe(naiveDot(Wf[2], x));
  });

  it('unpackBits inverts packBits', () => {
    const v = [1, -1, -1, 1, 1, 1, -1];
    expect(Array.from(unpackBits(packBits(v), v.length, new Int8Array(v.length)))).toEqual(v);
  });

  it('Larq convention (bit 1 = -1, 0.0 -> +1): conversion at the boundary', () => {
    const v = [0.5, -2, 0, -0.25, 3, -1, 7, 8, -9];
    // Larq packs the sign: bit i = 1 when v[i] < 0
    let larq = 0;
    v.forEach((x, i) => { if (x < 0) larq |= 1 << i; });
    const larqWords = Uint32Array.from([larq >>> 0]);
    expect(Array.from(fromLarqBits(larqWords, v.length))).toEqual(Array.from(packBits(v)));
    expect(Array.from(toLarqBits(packBits(v), v.length))).toEqual([larq >>> 0]);
    // Larq's own dot (popcount of XOR is the same in both conventions)
    const w = [1, 1, -1, -1, 1, -1, -1, 1, 1];
    expect(xnorDot(fromLarqBits(larqWords, 9), packBits(w), 9)).toBe(naiveDot(v, w));
  });

  it('bad input', () => {
    expect(() => packBits([1, NaN])).toThrow(/^values\[1\]: got NaN; allowed: a number \(not NaN\)/);
    expect(() => packBits(new Array(33).fill(1), new Uint32Array(1))).toThrow(/^out.length: got 1; allowed: at least ceil\(33 \/ 32\) = 2/);
    expect(() => xnorDot(new Uint32Array(1), new Uint32Array(2), 33)).toThrow(/^n: got 33; allowed: an integer 0..32/);
    expect(() => xnorDot(new Uint32Array(1), new Uint32Array(1), -1)).toThrow(/^n: got -1/);
  });
});

function countDiff(a: ArrayLike<number>, w: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) if ((a[i] >= 0) !== (w[i] >= 0)) d++;
  return d;
}
