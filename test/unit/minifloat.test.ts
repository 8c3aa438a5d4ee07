import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  decodeMinifloat, decodeMinifloatArray, encodeMinifloat, encodeMinifloatArray, MINIFLOAT_FORMATS,
  MINIFLOAT_PARAMS, roundToMinifloatArray, type MinifloatFormat,
} from '../../src/arith/index.js';
import { Rng, testSeed } from '../../src/util/rng.js';

const SEED = testSeed(0xf108);
console.log(`minifloat.test.ts seed=${SEED} (reproduce: LOWBIT_SEED=${SEED} npx vitest run test/unit/minifloat.test.ts)`);

const RNE = { saturate: false, rounding: 'RND_CONV' } as const;
const SAT = { saturate: true, rounding: 'RND_CONV' } as const;
const enc = (x: number, f: MinifloatFormat, o: typeof RNE | typeof SAT = RNE) => encodeMinifloat(x, f, o);
const rt = (x: number, f: MinifloatFormat, o: typeof RNE | typeof SAT = RNE) => decodeMinifloat(enc(x, f, o), f);

/** Independent definition of a format's finite non-negative values, from the spec's formula. */
function specValues(e: number, m: number, bias: number, fn: boolean): { code: number; value: number }[] {
  const out: { code: number; value: number }[] = [];
  for (let E = 0; E < 2 ** e; E++) {
    for (let M = 0; M < 2 ** m; M++) {
      if (E === 2 ** e - 1 && (!fn || M === 2 ** m - 1)) continue; // inf/NaN codes
      const value = E === 0 ? (M / 2 ** m) * Math.pow(2, 1 - bias) : (1 + M / 2 ** m) * Math.pow(2, E - bias);
      out.push({ code: E * 2 ** m + M, value });
    }
  }
  return out;
}

/** Reference RNE by exhaustive nearest search; beyond max, the virtual next value is 2^(emax+1) (even). */
function refNearest(x: number, vals: { code: number; value: number }[]): number | 'overflow' {
  const a = Math.abs(x);
  let best = vals[0];
  for (const v of vals) {
    const d = Math.abs(v.value - a);
    const db = Math.abs(best.value - a);
    if (d < db || (d === db && v.code % 2 === 0 && best.code % 2 === 1)) best = v;
  }
  const top = vals[vals.length - 1];
  const ulp = top.value - vals[vals.length - 2].value;
  const next = top.value + ulp; // the virtual next grid value
  if (a > top.value) {
    const dTop = a - top.value;
    const dNext = next - a;
    // the virtual next value has an even mantissa iff top's is odd
    if (dNext < dTop || (dNext === dTop && top.code % 2 === 1)) return 'overflow';
  }
  return (x < 0 || Object.is(x, -0) ? -1 : 1) * best.value;
}

describe('minifloats (docs/arithmetic.md section 4)', () => {
  it('vectors', () => {
    expect(rt(65519, 'fp16')).toBe(65504);
    expect(enc(65519, 'fp16')).toBe(0x7bff);
    expect(enc(65520, 'fp16')).toBe(0x7c00);
    expect(rt(65520, 'fp16')).toBe(Infinity);
    expect(rt(464, 'fp8e4m3fn')).toBe(448);
    for (const x of [464.0001, 480, Infinity]) expect(rt(x, 'fp8e4m3fn')).toBeNaN();
    expect(enc(480, 'fp8e4m3fn')).toBe(0x7f);
    expect(enc(-480, 'fp8e4m3fn')).toBe(0xff);
    expect(rt(2 ** -10, 'fp8e4m3fn')).toBe(0);
    expect(rt(2 ** -9, 'fp8e4m3fn')).toBe(2 ** -9);
    expect(rt(61439, 'fp8e5m2')).toBe(57344);
    expect(rt(61440, 'fp8e5m2')).toBe(Infinity);
    expect(MINIFLOAT_PARAMS.fp8e4m3fn.max).toBe(448);
    expect(MINIFLOAT_PARAMS.fp8e5m2.max).toBe(57344);
    expect(MINIFLOAT_PARAMS.fp16.max).toBe(65504);
    expect(MINIFLOAT_PARAMS.bf16.max).toBe(Math.fround(3.3895313892515355e38));
    // fp16 subnormals, round to nearest even
    expect(rt(2 ** -24, 'fp16')).toBe(2 ** -24);
    expect(rt(2 ** -25, 'fp16')).toBe(0);
    expect(rt(3 * 2 ** -25, 'fp16')).toBe(2 ** -23);
    expect(rt(2 ** -25 + 2 ** -40, 'fp16')).toBe(2 ** -24);
    expect(Object.is(rt(-0, 'fp16'), -0)).toBe(true);
  });

  it('saturating mode clamps to ±max (also ±inf); NaN stays NaN', () => {
    expect(rt(480, 'fp8e4m3fn', SAT)).toBe(448);
    expect(rt(Infinity, 'fp8e4m3fn', SAT)).toBe(448);
    expect(rt(-1e9, 'fp8e4m3fn', SAT)).toBe(-448);
    expect(rt(61440, 'fp8e5m2', SAT)).toBe(57344);
    expect(rt(-Infinity, 'fp8e5m2', SAT)).toBe(-57344);
    expect(rt(65520, 'fp16', SAT)).toBe(65504);
    expect(rt(1e39, 'bf16', SAT)).toBe(MINIFLOAT_PARAMS.bf16.max);
    for (const f of MINIFLOAT_FORMATS) expect(rt(NaN, f, SAT)).toBeNaN();
  });

  it('BF16 equals the Eigen bit rule on float32 inputs (NaN -> 0x7FC0 | sign)', () => {
    const f32 = new Float32Array(1);
    const u32 = new Uint32Array(f32.buffer);
    const eigen = (bits: number): number => {
      f32[0] = 0;
      u32[0] = bits;
      if (Number.isNaN(f32[0])) return 0x7fc0 | ((bits >>> 16) & 0x8000);
      return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
    };
    const check = (bits: number) => {
      u32[0] = bits >>> 0;
      const x = f32[0];
      if (Number.isNaN(x)) return; // JS may canonicalize NaN payloads; NaN handled below
      expect(enc(x, 'bf16')).toBe(eigen(bits >>> 0));
    };
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (b) => { check(b); }), { seed: SEED, numRuns: 5000 });
    for (const b of [0, 0x80000000, 0x7f7fffff, 0x7f7f8000, 0x7f7f7fff, 0x3f808000, 0x3f818000, 0x00008000, 0x00018000, 0x7f800000, 0xff800000, 0x0000ffff]) check(b);
    expect(enc(NaN, 'bf16')).toBe(0x7fc0);
  });

  it('FP16 and both FP8 formats equal an exhaustive nearest-even search (float32 inputs)', () => {
    const specs: [MinifloatFormat, number, number, number, boolean][] = [
      ['fp16', 5, 10, 15, false], ['fp8e4m3fn', 4, 3, 7, true], ['fp8e5m2', 5, 2, 15, false],
    ];
    for (const [fmt, e, m, bias, fn] of specs) {
      const vals = specValues(e, m, bias, fn);
      const max = vals[vals.length - 1].value;
      const xs = fc.oneof(
        fc.float({ min: Math.fround(-max * 1.1), max: Math.fround(max * 1.1), noNaN: true }),
        fc.float({ min: Math.fround(-(2 ** (-bias - m + 3))), max: Math.fround(2 ** (-bias - m + 3)), noNaN: true }),
      );
      fc.assert(
        fc.property(xs, (x) => {
          const ref = refNearest(x, nearby(vals, Math.abs(x)));
          const got = rt(x, fmt);
          if (ref === 'overflow') {
            if (fn) expect(got).toBeNaN();
            else expect(got).toBe(x < 0 ? -Infinity : Infinity);
            expect(rt(x, fmt, SAT)).toBe(x < 0 ? -max : max);
          } else {
            expect(Object.is(got, ref) || got === ref).toBe(true);
          }
        }),
        { seed: SEED, numRuns: 2000 },
      );
      // every representable value and every midpoint between neighbours (mismatches collected, one assert)
      const bad: string[] = [];
      for (let i = 0; i < vals.length; i++) {
        const { code, value } = vals[i];
        if (rt(value, fmt) !== value || enc(value, fmt) !== code || decodeMinifloat(code, fmt) !== value) bad.push(`${fmt} ${value}`);
        if (i + 1 < vals.length) {
          const mid = (value + vals[i + 1].value) / 2;
          const even = code % 2 === 0 ? value : vals[i + 1].value;
          if (rt(mid, fmt) !== even || rt(-mid, fmt) !== -even) bad.push(`${fmt} mid ${mid}`);
        }
      }
      expect(bad).toEqual([]);
    }
  });

  it('decode of special codes', () => {
    expect(decodeMinifloat(0x7c00, 'fp16')).toBe(Infinity);
    expect(decodeMinifloat(0xfc00, 'fp16')).toBe(-Infinity);
    expect(decodeMinifloat(0x7e00, 'fp16')).toBeNaN();
    expect(decodeMinifloat(0x7f, 'fp8e4m3fn')).toBeNaN();
    expect(decodeMinifloat(0x7e, 'fp8e4m3fn')).toBe(448);
    expect(decodeMinifloat(0x78, 'fp8e4m3fn')).toBe(256);
    expect(decodeMinifloat(0x7c, 'fp8e5m2')).toBe(Infinity);
    expect(decodeMinifloat(0x7d, 'fp8e5m2')).toBeNaN();
    expect(decodeMinifloat(0x01, 'fp8e4m3fn')).toBe(2 ** -9);
    expect(decodeMinifloat(0x01, 'fp8e5m2')).toBe(2 ** -16);
  });

  it('stochastic rounding: seeded, between the two neighbours, exact values untouched, unbiased', () => {
    const a = new Rng(SEED);
    const b = new Rng(SEED);
    const optsA = { saturate: false, rounding: 'STOCHASTIC' as const, rng: a };
    const optsB = { saturate: false, rounding: 'STOCHASTIC' as const, rng: b };
    // 1.078125 in E4M3FN: neighbours 1 and 1.125, P(up) = 0.625; 4000 trials: mean 2500, sd 30.6
    let ups = 0;
    const bad: number[] = [];
    for (let i = 0; i < 4000; i++) {
      const c = encodeMinifloat(1.078125, 'fp8e4m3fn', optsA);
      const v = decodeMinifloat(c, 'fp8e4m3fn');
      if (c !== encodeMinifloat(1.078125, 'fp8e4m3fn', optsB) || (v !== 1 && v !== 1.125)) bad.push(c);
      if (v === 1.125) ups++;
    }
    expect(bad).toEqual([]);
    expect(ups).toBeGreaterThan(2500 - 6 * 30.6);
    expect(ups).toBeLessThan(2500 + 6 * 30.6);
    const exact = Array.from({ length: 200 }, () => decodeMinifloat(encodeMinifloat(1.125, 'fp8e4m3fn', optsA), 'fp8e4m3fn'));
    expect(exact.every((v) => v === 1.125)).toBe(true);
  });

  it('batch encode / decode / round equal the scalar functions', () => {
    const rng = new Rng(SEED);
    const src = new Float32Array(500);
    for (let i = 0; i < src.length; i++) src[i] = rng.normal() * 2 ** rng.int(-20, 20);
    src[0] = NaN;
    src[1] = Infinity;
    src[2] = -0;
    for (const fmt of MINIFLOAT_FORMATS) {
      for (const o of [RNE, SAT]) {
        const codes = encodeMinifloatArray(src, fmt, o, new Uint16Array(src.length));
        expect(Array.from(codes)).toEqual(Array.from(src, (x) => encodeMinifloat(x, fmt, o)));
        const dec = decodeMinifloatArray(codes, fmt, new Float32Array(src.length));
        const rounded = roundToMinifloatArray(src, fmt, o, new Float32Array(src.length));
        expect(Array.from(rounded)).toEqual(Array.from(dec));
        expect(Array.from(dec)).toEqual(Array.from(codes, (c) => Math.fround(decodeMinifloat(c, fmt))));
      }
    }
  });

  it('bad input', () => {
    expect(() => encodeMinifloat(1, 'fp4' as MinifloatFormat, RNE)).toThrow(/^fmt: got "fp4"; allowed: one of fp16, bf16, fp8e4m3fn, fp8e5m2/);
    expect(() => encodeMinifloat(1, 'fp16', { saturate: false, rounding: 'STOCHASTIC' })).toThrow(/^opts.rng: got undefined/);
    expect(() => decodeMinifloat(256, 'fp8e5m2')).toThrow(/^bits: got 256; allowed: an integer 0..255/);
    expect(() => encodeMinifloatArray([1], 'fp16', RNE, new Uint8Array(1))).toThrow(/^out: got "Uint8Array"/);
  });
});

/** The values within a few positions of a (sorted list), for a fast exhaustive-equivalent search. */
function nearby(vals: { code: number; value: number }[], a: number): { code: number; value: number }[] {
  let lo = 0;
  let hi = vals.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (vals[mid].value < a) lo = mid + 1;
    else hi = mid;
  }
  return vals.slice(Math.max(0, lo - 3), Math.min(vals.length, lo + 3)).concat(vals.slice(-2));
}
