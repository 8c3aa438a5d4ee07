import { describe, it, expect } from 'vitest';
import { intFormat, ROUNDINGS, type Rounding } from '../../src/arith/index.js';
import {
  REQUANTIZER_LATENCY,
  RequantizerModel,
  requantize,
  requantizeArray,
  requantizerParams,
  requantizerVerilogParams,
  checkRequantizerParams,
  type RequantizerInputs,
  type RequantizerParams,
} from '../../src/hw/index.js';
import { PRESETS } from '../../src/hw/presets.js';
import { InputError } from '../../src/util/errors.js';
import { Rng, testSeed } from '../../src/util/rng.js';

// ---- independent BigInt references (written from docs/arithmetic.md, not from src/arith) ----------------
const I32_MIN = -(2n ** 31n);
const I32_MAX = 2n ** 31n - 1n;
const floorDiv = (a: bigint, b: bigint): bigint => (a >= 0n ? a / b : -((-a + b - 1n) / b));
const wrap32 = (x: bigint): bigint => BigInt.asIntN(32, x);

function refDouble(x: bigint, M: bigint, shift: number): bigint {
  const xl = wrap32(x * 2n ** BigInt(Math.max(shift, 0)));
  const h = xl === I32_MIN && M === I32_MIN ? I32_MAX : floorDiv(xl * M + 2n ** 30n, 2n ** 31n);
  const e = BigInt(Math.max(-shift, 0));
  // RDBPOT: nearest, ties away from zero
  const p = 2n ** e;
  const q = floorDiv(h, p);
  const rem = h - q * p;
  if (e === 0n) return h;
  const twice = 2n * rem;
  return twice > p || (twice === p && h >= 0n) ? q + 1n : q;
}

function refSingle(x: bigint, M: bigint, shift: number): bigint {
  const ts = BigInt(31 - shift);
  return wrap32(floorDiv(x * M + 2n ** (ts - 1n), 2n ** ts));
}

/** round(x / 2^n) by the exact rational x / 2^n: compare the remainder with one half directly. */
function refShift(x: bigint, n: number, mode: Rounding): bigint {
  if (n === 0) return x;
  const p = 2n ** BigInt(n);
  const fl = floorDiv(x, p);
  const rem = x - fl * p; // 0 <= rem < p; the fraction is rem / p
  const exact = rem === 0n;
  const above = 2n * rem > p;
  const tie = 2n * rem === p;
  const ceil = exact ? fl : fl + 1n;
  switch (mode) {
    case 'TRN': return fl;
    case 'TRN_ZERO': return x < 0n ? ceil : fl;
    case 'RND': return above || tie ? fl + 1n : fl;
    case 'RND_ZERO': return above || (tie && x < 0n) ? fl + 1n : fl;
    case 'RND_MIN_INF': return above ? fl + 1n : fl;
    case 'RND_INF': return above || (tie && x >= 0n) ? fl + 1n : fl;
    case 'RND_CONV': return above || (tie && (fl & 1n) === 1n) ? fl + 1n : fl;
    case 'RND_CONV_ODD': return above || (tie && (fl & 1n) === 0n) ? fl + 1n : fl;
  }
}

function refRequant(acc: number, M: number, shift: number, p: RequantizerParams): number {
  const x = BigInt(acc);
  const v = p.mode === 'double' ? refDouble(x, BigInt(M), shift)
    : p.mode === 'single' ? refSingle(x, BigInt(M), shift) : refShift(x, shift, p.rounding);
  let y = v + BigInt(p.zeroPoint);
  const lo = p.out.signed ? -(2n ** BigInt(p.out.bits - 1)) : 0n;
  const hi = p.out.signed ? 2n ** BigInt(p.out.bits - 1) - 1n : 2n ** BigInt(p.out.bits) - 1n;
  if (p.relu && y < BigInt(p.zeroPoint)) y = BigInt(p.zeroPoint);
  return Number(y < lo ? lo : y > hi ? hi : y);
}

const base: RequantizerParams = {
  accBits: 32, channels: 4, mode: 'double', rounding: 'RND', out: intFormat(32, true), zeroPoint: 0, relu: false,
};

describe('requantizer maths', () => {
  it('reproduces the docs/arithmetic.md vectors', () => {
    expect(requantize(1822, 2123782081, -2, { ...base, mode: 'double' })).toBe(451);
    expect(requantize(1822, 2123782081, -2, { ...base, mode: 'single' })).toBe(450);
    expect(requantize(-6, 2 ** 30, -1, { ...base, mode: 'double' })).toBe(-2);
    expect(requantize(-6, 2 ** 30, -1, { ...base, mode: 'single' })).toBe(-1);
    // SRDHM(INT32_MIN, INT32_MIN) saturates to INT32_MAX (shift 0)
    expect(requantize(-(2 ** 31), -(2 ** 31), 0, base)).toBe(2 ** 31 - 1);
    // the left shift wraps in int32: 2^30 << 1 = INT32_MIN
    expect(requantize(2 ** 30, -(2 ** 31), 1, base)).toBe(2 ** 31 - 1);
  });

  it('every shift-mode rounding matches the exact rational rule on ties and near-ties', () => {
    for (const rounding of ROUNDINGS) {
      const p = { ...base, mode: 'shift' as const, rounding, accBits: 16 };
      for (let acc = -40; acc <= 40; acc++) {
        for (const n of [0, 1, 2, 3, 15, 16, 63]) {
          expect(requantize(acc, 0, n, p), `${rounding} ${acc}>>${n}`).toBe(refRequant(acc, 0, n, p));
        }
      }
    }
    // the docs/arithmetic.md ap_fixed table: {2.5, 3.5, -2.5, -3.5} = {5, 7, -5, -7} / 2
    const table: Record<Rounding, number[]> = {
      TRN: [2, 3, -3, -4], TRN_ZERO: [2, 3, -2, -3], RND: [3, 4, -2, -3], RND_ZERO: [2, 3, -2, -3],
      RND_MIN_INF: [2, 3, -3, -4], RND_INF: [3, 4, -3, -4], RND_CONV: [2, 4, -2, -4], RND_CONV_ODD: [3, 3, -3, -3],
    };
    for (const r of ROUNDINGS) {
      expect([5, 7, -5, -7].map((a) => requantize(a, 0, 1, { ...base, mode: 'shift', rounding: r }))).toEqual(table[r]);
    }
  });

  it('matches the independent BigInt reference on seeded random inputs, all modes and output formats', () => {
    const seed = testSeed(0x5eed01);
    const rng = new Rng(seed);
    const configs: RequantizerParams[] = [
      { ...base, mode: 'double', out: intFormat(8, true), zeroPoint: -3 },
      { ...base, mode: 'double', out: intFormat(16, true), relu: true, zeroPoint: 5 },
      { ...base, mode: 'single', out: intFormat(8, false), zeroPoint: 128 },
      { ...base, mode: 'single', out: intFormat(2, true), accBits: 16 },
      { ...base, mode: 'shift', rounding: 'RND_CONV', out: intFormat(7, true), accBits: 53 },
      { ...base, mode: 'shift', rounding: 'TRN_ZERO', out: intFormat(1, true), zeroPoint: -1, accBits: 33 },
      { ...base, mode: 'shift', rounding: 'RND_CONV_ODD', out: intFormat(1, false), relu: true, accBits: 2 },
    ];
    for (const p of configs) {
      for (let t = 0; t < 2000; t++) {
        const lim = 2 ** (p.accBits - 1);
        const acc = rng.float() < 0.1 ? [-lim, lim - 1, 0, -1][t & 3] : rng.int(-lim, lim - 1);
        const M = p.mode === 'single' ? rng.int(0, 2 ** 31 - 1) : rng.int(-(2 ** 31), 2 ** 31 - 1);
        const shift = p.mode === 'shift' ? rng.int(0, 63) : rng.int(-31, 30);
        expect(requantize(acc, M, shift, p), `seed ${seed} ${JSON.stringify(p)} acc ${acc} M ${M} shift ${shift}`)
          .toBe(refRequant(acc, M, shift, p));
      }
    }
  });

  it('requantizeArray equals the scalar path per channel', () => {
    const p = { ...base, out: intFormat(8, true) };
    const acc = Int32Array.from([100000, -100000, 7, -(2 ** 31), 2 ** 31 - 1, 0]);
    const ch = Int32Array.from([0, 1, 2, 1, 0, 2]);
    const mult = Int32Array.from([1 << 30, 2123782081, -(2 ** 31)]);
    const shift = Int32Array.from([-5, 3, 0]);
    const out = new Int32Array(6);
    requantizeArray(acc, ch, mult, shift, p, out);
    expect(Array.from(out)).toEqual(Array.from(acc, (a, i) => refRequant(a, mult[ch[i]], shift[ch[i]], p)));
    expect(() => requantizeArray(acc, Int32Array.from([0, 0, 0, 0, 0, 3]), mult, shift, p, out)).toThrow(/channel\[5\]/);
  });

  it('rejects illegal parameters naming the field', () => {
    expect(() => checkRequantizerParams({ ...base, accBits: 33 })).toThrow(/accumulator.bits.*33/);
    expect(() => checkRequantizerParams({ ...base, mode: 'shift', accBits: 54 })).toThrow(InputError);
    expect(() => checkRequantizerParams({ ...base, out: intFormat(8, true), zeroPoint: 128 })).toThrow(/zeroPoint/);
    expect(() => requantize(1, -1, 0, { ...base, mode: 'single' })).toThrow(/M/);
    expect(() => checkRequantizerParams({ ...base, mode: 'triple' as 'double' })).toThrow(/requant.mode/);
  });

  it('maps presets mechanically to Verilog parameters', () => {
    expect(requantizerVerilogParams(requantizerParams(PRESETS.int8))).toEqual({
      AccBits: 32, Channels: 16, Mode: 0, Rounding: 5, OutBits: 8, OutSigned: 1, ZeroPoint: 0, Relu: 0,
    });
    expect(requantizerVerilogParams(requantizerParams(PRESETS.int2, 4))).toMatchObject({ AccBits: 16, Channels: 4, Mode: 1, OutBits: 2 });
    const b = requantizerVerilogParams(requantizerParams(PRESETS.binary));
    expect(b).toMatchObject({ Mode: 2, Rounding: 0, OutBits: 1, OutSigned: 1 });
  });
});

const idle: RequantizerInputs = { cfgWe: false, cfgCh: 0, cfgMult: 0, cfgShift: 0, valid: false, ch: 0, acc: 0, stall: false };

describe('RequantizerModel timing', () => {
  it('delivers each element REQUANTIZER_LATENCY cycles after its input edge, back to back', () => {
    const p = { ...base, out: intFormat(8, true), channels: 2 };
    const m = new RequantizerModel(p);
    m.step({ ...idle, cfgWe: true, cfgCh: 0, cfgMult: 1 << 30, cfgShift: -2 });
    m.step({ ...idle, cfgWe: true, cfgCh: 1, cfgMult: 1 << 30, cfgShift: 0 });
    const accs = [100, -100, 1000, 7, -7];
    const seen: { valid: boolean; data: number }[] = [];
    for (let t = 0; t < accs.length + REQUANTIZER_LATENCY; t++) {
      seen.push(m.outputs());
      m.step(t < accs.length ? { ...idle, valid: true, ch: t & 1, acc: accs[t] } : idle);
    }
    expect(REQUANTIZER_LATENCY).toBe(3);
    expect(seen.slice(0, 3).map((o) => o.valid)).toEqual([false, false, false]);
    const got = seen.slice(3, 3 + accs.length);
    expect(got.map((o) => o.valid)).toEqual([true, true, true, true, true]);
    expect(got.map((o) => o.data)).toEqual(accs.map((a, t) => refRequant(a, 1 << 30, t & 1 ? 0 : -2, p)));
    expect(m.outputs().valid).toBe(false);
  });

  it('holds every pipeline register while stalled, and writes still land', () => {
    const p = { ...base, mode: 'shift' as const, rounding: 'RND' as const, out: intFormat(16, true), channels: 1 };
    const m = new RequantizerModel(p);
    m.step({ ...idle, cfgWe: true, cfgShift: 1 });
    m.step({ ...idle, valid: true, acc: 9 }); // -> 5
    m.step({ ...idle, stall: true, valid: true, acc: 1000 }); // not taken
    m.step({ ...idle, stall: true, cfgWe: true, cfgShift: 2 }); // table write during a stall
    m.step({ ...idle, valid: true, acc: 9 }); // with shift 2 -> 2
    const out = [];
    for (let t = 0; t < 4; t++) {
      out.push(m.outputs());
      m.step(idle);
    }
    expect(out.map((o) => (o.valid ? o.data : null))).toEqual([null, 5, 2, null]);
  });

  it('reads (0, 0) for an out-of-range channel and ignores writes to it', () => {
    const m = new RequantizerModel({ ...base, channels: 3, out: intFormat(16, true) });
    m.step({ ...idle, cfgWe: true, cfgCh: 3, cfgMult: 1 << 30 });
    expect(m.entry(3)).toEqual({ multiplier: 0, shift: 0 });
    m.step({ ...idle, valid: true, ch: 3, acc: 12345 });
    m.step(idle);
    m.step(idle);
    expect(m.outputs()).toEqual({ valid: true, data: 0 });
  });
});
