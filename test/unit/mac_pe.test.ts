import { describe, it, expect } from 'vitest';
import type { Design } from '../../src/hw/design.js';
import { PRESETS } from '../../src/hw/presets.js';
import {
  accRule, bigAccRule, laneFormat, laneFromBits, laneToBits, numberAccRule, tagBits,
} from '../../src/hw/mac_rule.js';
import { macVerilogParams, MacPe, type MacPeInputs, type PeRegister } from '../../src/hw/mac_pe.js';
import { BINARY, castIntBig, intFormat } from '../../src/arith/index.js';
import { Rng, testSeed } from '../../src/util/rng.js';

const seed = testSeed(99);
console.log(`mac_pe.test seed ${seed} (LOWBIT_SEED=${seed} reproduces)`);

describe('the accumulate rule ovf(base + h*v)', () => {
  it('number and BigInt paths equal arith castIntBig at the edge widths (WRAP and SAT)', () => {
    const rng = new Rng(seed);
    for (const bits of [2, 7, 8, 16, 31, 32, 33, 52]) {
      for (const overflow of ['WRAP', 'SAT'] as const) {
        const num = numberAccRule(bits, overflow);
        const big = bigAccRule(bits, overflow);
        const f = intFormat(bits, true);
        const lim = 2 ** (bits - 1);
        for (let i = 0; i < 400; i++) {
          const base = i < 4 ? [-lim, lim - 1, 0, -1][i] : rng.int(-lim, lim - 1);
          const h = rng.int(-32768, 65535);
          const v = rng.int(-32768, 32767);
          const want = castIntBig(BigInt(base) + BigInt(h) * BigInt(v), f, overflow);
          expect(BigInt(num.mac(base, h, v)), `${bits} ${overflow} ${base} ${h} ${v}`).toBe(want);
          expect(big.mac(BigInt(base), h, v)).toBe(want);
        }
      }
    }
  });

  it('64-bit accumulators take the BigInt path and wrap/saturate at 2^63', () => {
    const d = structuredClone(PRESETS.int8) as Design;
    d.accumulator = { bits: 64, overflow: 'SAT' };
    const r = accRule(d);
    expect(typeof r.zero).toBe('bigint');
    const max = 2n ** 63n - 1n;
    expect((r as ReturnType<typeof bigAccRule>).mac(max - 5n, 3, 3)).toBe(max);
    d.accumulator.overflow = 'WRAP';
    expect((accRule(d) as ReturnType<typeof bigAccRule>).mac(max - 5n, 3, 3)).toBe(-(2n ** 63n) + 3n);
  });
});

describe('MacPe registers', () => {
  /** registers of the current cycle, read by their RTL names */
  const regs = (pe: MacPe<number>, ...names: PeRegister[]): number[] => names.map((n) => pe.register(n));
  const idle: MacPeInputs<number> = { h: 0, hValid: false, v: 0, vValid: false, last: false, tag: 0, shift: false, ps: 0 };

  it('os: MACs while both operands are valid, passes them on, drains (shift) only without a MAC', () => {
    const pe = new MacPe<number>('os', numberAccRule(8, 'SAT'));
    pe.step({ ...idle, hValid: true, h: 10, vValid: true, v: 10 });
    expect(pe.register('acc_q')).toBe(100);
    pe.step({ ...idle, hValid: true, h: 3, vValid: true, v: 2, last: true });
    expect(regs(pe, 'acc_q', 'h_q', 'v_q', 'last_q', 'v_valid_q')).toEqual([106, 3, 2, 1, 1]);
    pe.step({ ...idle, hValid: true, h: 5, vValid: true, v: 5, shift: true, ps: -7 }); // MAC wins: 106 + 25 saturates
    expect(pe.register('acc_q')).toBe(127);
    pe.step({ ...idle, shift: true, ps: -7 });
    expect(regs(pe, 'acc_q', 'last_q', 'v_valid_q', 'h_valid_q')).toEqual([-7, 0, 0, 0]);
    pe.step({ ...idle, hValid: true, h: 1 }); // one operand only: no MAC
    expect(regs(pe, 'acc_q', 'h_q')).toEqual([-7, 1]);
  });

  it('ws: a load beat with tag 0 stays, others pass on with tag - 1; stream beats add to ps', () => {
    const pe = new MacPe<number>('ws', numberAccRule(16, 'WRAP'));
    pe.step({ ...idle, vValid: true, v: 9, tag: 2 });
    expect(regs(pe, 's_q', 'v_valid_q', 'tag_q', 'v_q')).toEqual([0, 1, 1, 9]);
    pe.step({ ...idle, vValid: true, v: -4, tag: 0 });
    expect(regs(pe, 's_q', 'v_valid_q', 'tag_q')).toEqual([-4, 0, 1]);
    pe.step({ ...idle, hValid: true, h: 5, ps: 1000 });
    expect(pe.register('acc_q')).toBe(980);
    pe.step({ ...idle, hValid: true, h: -32768, ps: 32767 }); // 32767 + 131072 wraps
    expect(pe.register('acc_q')).toBe(32767 + 131072 - 65536 * 2);
  });
});

describe('lanes and parameters', () => {
  it('a bipolar operand travels as a 2-bit signed lane; others at their own format', () => {
    expect(laneFormat(BINARY)).toEqual(intFormat(2, true));
    expect(laneFormat(intFormat(1, false))).toEqual(intFormat(1, false));
    expect(laneFormat(intFormat(7, true))).toEqual(intFormat(7, true));
    const l = laneFormat(BINARY);
    expect([-1, 0, 1].map((v) => laneToBits(v, l))).toEqual([3n, 0n, 1n]);
    for (const f of [intFormat(16, true), intFormat(16, false), intFormat(2, true)]) {
      for (const v of f.signed ? [-(2 ** (f.bits - 1)), -1, 0, 2 ** (f.bits - 1) - 1] : [0, 1, 2 ** f.bits - 1]) {
        expect(laneFromBits(laneToBits(v, f), f)).toBe(v);
      }
    }
  });

  it('tag width and the Verilog parameter mapping', () => {
    expect([1, 2, 3, 4, 5, 16, 17].map(tagBits)).toEqual([1, 1, 2, 2, 3, 4, 5]);
    const d = structuredClone(PRESETS.int2) as Design;
    d.array.dataflow = 'is';
    expect(macVerilogParams(d)).toEqual({ WBits: 2, ABits: 2, WSigned: 1, ASigned: 1, AccBits: 16, AccSat: 1, Dataflow: 2 });
  });
});
