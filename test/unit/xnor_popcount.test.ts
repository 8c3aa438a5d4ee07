import { describe, it, expect } from 'vitest';
import { packBits } from '../../src/arith/index.js';
import {
  XNOR_POPCOUNT_LATENCY,
  XnorPopcountModel,
  laneWords,
  multiThreshold,
  sliceBits,
  xnorDotLanes,
  xnorPopcountParams,
  xnorPopcountVerilogParams,
  checkXnorPopcountParams,
  type XnorPopcountInputs,
  type XnorPopcountParams,
} from '../../src/hw/index.js';
import { PRESETS } from '../../src/hw/presets.js';
import { Rng, testSeed } from '../../src/util/rng.js';

/** Independent ±1 dot product from the element values (no packing, no popcount). */
function plainDot(a: number[], w: number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * w[i];
  return s;
}
const pm1 = (rng: Rng, n: number): number[] => Array.from({ length: n }, () => (rng.u32() & 1 ? 1 : -1));
const wrapS = (x: number, bits: number): number => Number(BigInt.asIntN(bits, BigInt(x)));

const LANES = [1, 2, 7, 8, 16, 31, 32, 33, 64, 100];

describe('xnor_popcount arithmetic', () => {
  it('lane-by-lane XNOR dot equals the plain ±1 dot for every lane width (odd lengths, padding)', () => {
    const seed = testSeed(0x0a11ce);
    const rng = new Rng(seed);
    for (const lanes of LANES) {
      const p: XnorPopcountParams = { lanes, accBits: 16, thresholds: 1, channels: 1 };
      for (const n of [1, 2, 7, 31, 32, 33, 63, 65, 100, 257]) {
        const a = pm1(rng, n);
        const w = pm1(rng, n);
        const pa = packBits(a, new Uint32Array(Math.ceil(n / 32) + 1));
        const pw = packBits(w, new Uint32Array(Math.ceil(n / 32) + 1));
        pa[pa.length - 1] = 0xffffffff; // garbage past n must not count
        pw[pw.length - 1] = 0x0f0f0f0f;
        expect(xnorDotLanes(pa, pw, n, p), `seed ${seed} lanes ${lanes} n ${n}`).toBe(plainDot(a, w));
      }
    }
  });

  it('all-zero and all-one vectors give +n and -n', () => {
    for (const lanes of [1, 7, 32, 33]) {
      const p: XnorPopcountParams = { lanes, accBits: 16, thresholds: 1, channels: 1 };
      for (const n of [1, 31, 33, 95]) {
        const ones = packBits(new Array(n).fill(1));
        const zeros = packBits(new Array(n).fill(-1));
        expect(xnorDotLanes(ones, ones, n, p)).toBe(n);
        expect(xnorDotLanes(zeros, zeros, n, p)).toBe(n);
        expect(xnorDotLanes(ones, zeros, n, p)).toBe(-n);
      }
    }
  });

  it('wraps the dot to accBits like the accumulator register', () => {
    const n = 300;
    const ones = packBits(new Array(n).fill(1));
    expect(xnorDotLanes(ones, ones, n, { lanes: 32, accBits: 8, thresholds: 1, channels: 1 })).toBe(wrapS(300, 8));
  });

  it('multiThreshold equals a direct count, unsorted thresholds included', () => {
    const rng = new Rng(testSeed(77));
    for (let t = 0; t < 500; t++) {
      const T = rng.int(1, 20);
      const thr = Array.from({ length: T }, () => rng.int(-50, 50));
      const x = rng.int(-60, 60);
      expect(multiThreshold(x, thr, 0, T)).toBe(thr.filter((v) => x >= v).length);
    }
    expect(multiThreshold(0, [0], 0, 1)).toBe(1); // x >= t: equality passes
    expect(multiThreshold(-1, [0], 0, 1)).toBe(0);
  });

  it('sliceBits extracts an arbitrary bit range', () => {
    const src = Uint32Array.from([0x80000001, 0x00000003]);
    expect(Array.from(sliceBits(src, 31, 3, new Uint32Array(1)))).toEqual([0b111]);
    expect(Array.from(sliceBits(src, 33, 40, new Uint32Array(2)))).toEqual([1, 0]); // bit 33 set, bits past the end read 0
  });

  it('maps presets mechanically and rejects illegal parameters', () => {
    expect(xnorPopcountVerilogParams(xnorPopcountParams(PRESETS.binary, 4))).toEqual({
      Lanes: 64, AccBits: 16, Thresholds: 1, Channels: 4,
    });
    expect(() => checkXnorPopcountParams({ lanes: 0, accBits: 16, thresholds: 1, channels: 1 })).toThrow(/lanes.*0/);
    expect(() => xnorPopcountParams(PRESETS.int8)).not.toThrow();
    expect(() => checkXnorPopcountParams({ lanes: 8, accBits: 33, thresholds: 1, channels: 1 })).toThrow(/accumulator.bits/);
    expect(() => checkXnorPopcountParams({ lanes: 8, accBits: 16, thresholds: 256, channels: 1 })).toThrow(/thresholds/);
  });
});

function idle(p: XnorPopcountParams): XnorPopcountInputs {
  const z = new Uint32Array(laneWords(p.lanes));
  return {
    thrWe: false, thrCh: 0, thrIdx: 0, thrVal: 0, valid: false, first: false, last: false, and: false,
    neg: false, shift: 0, nbits: 0, ch: 0, a: z, w: z, stall: false,
  };
}

describe('XnorPopcountModel timing', () => {
  it('streams back-to-back dot products; each result appears 3 cycles after its last word', () => {
    const seed = testSeed(0xd07);
    const rng = new Rng(seed);
    const p: XnorPopcountParams = { lanes: 7, accBits: 12, thresholds: 3, channels: 2 };
    const m = new XnorPopcountModel(p);
    const thr = [[-3, 0, 4], [10, -10, 0]];
    for (let c = 0; c < 2; c++) for (let t = 0; t < 3; t++) m.step({ ...idle(p), thrWe: true, thrCh: c, thrIdx: t, thrVal: thr[c][t] });
    const lengths = [1, 7, 8, 20, 14];
    const inputs: XnorPopcountInputs[] = [];
    const expected: { cycle: number; dot: number; act: number }[] = [];
    for (const [j, n] of lengths.entries()) {
      const a = pm1(rng, n);
      const w = pm1(rng, n);
      const pa = packBits(a);
      const pw = packBits(w);
      for (let s = 0; s < n; s += p.lanes) {
        inputs.push({
          ...idle(p), valid: true, first: s === 0, last: s + p.lanes >= n, nbits: Math.min(p.lanes, n - s), ch: j & 1,
          a: sliceBits(pa, s, p.lanes, new Uint32Array(1)), w: sliceBits(pw, s, p.lanes, new Uint32Array(1)),
        });
      }
      const dot = plainDot(a, w);
      expected.push({ cycle: inputs.length - 1 + XNOR_POPCOUNT_LATENCY, dot, act: thr[j & 1].filter((t) => dot >= t).length });
    }
    const got: { cycle: number; dot: number; act: number }[] = [];
    for (let t = 0; t < inputs.length + 4; t++) {
      const o = m.outputs();
      if (o.valid) got.push({ cycle: t, dot: o.dot, act: o.act });
      m.step(t < inputs.length ? inputs[t] : idle(p));
    }
    expect(got, `seed ${seed}`).toEqual(expected);
  });

  it('a stall freezes the pipeline; an out-of-range channel reads zero thresholds', () => {
    const p: XnorPopcountParams = { lanes: 4, accBits: 8, thresholds: 2, channels: 3 };
    const m = new XnorPopcountModel(p);
    const word = (bits: number): Uint32Array => Uint32Array.of(bits);
    // dot of 4 lanes all agreeing = +4, on channel 3 (out of range): act = [4 >= 0] + [4 >= 0] = 2
    m.step({ ...idle(p), valid: true, first: true, last: true, nbits: 4, ch: 3, a: word(0b1010), w: word(0b1010) });
    m.step({ ...idle(p), stall: true, valid: true, first: true, last: true, nbits: 4, a: word(0), w: word(15) });
    m.step({ ...idle(p), stall: true });
    m.step(idle(p));
    expect(m.outputs().valid).toBe(false);
    m.step(idle(p));
    expect(m.outputs()).toEqual({ valid: true, dot: 4, act: 2 });
    m.step(idle(p));
    expect(m.outputs().valid).toBe(false);
    expect(m.outputs().dot).toBe(4); // dot_o holds the latest result
  });

  it('nbits above lanes means all lanes, nbits 0 contributes nothing', () => {
    const p: XnorPopcountParams = { lanes: 5, accBits: 8, thresholds: 1, channels: 1 };
    const m = new XnorPopcountModel(p);
    m.step({ ...idle(p), valid: true, first: true, nbits: 7, a: Uint32Array.of(0), w: Uint32Array.of(0) });
    m.step({ ...idle(p), valid: true, last: true, nbits: 0, a: Uint32Array.of(0), w: Uint32Array.of(31) });
    m.step(idle(p));
    m.step(idle(p));
    expect(m.outputs()).toEqual({ valid: true, dot: 5, act: 1 });
  });
});
