import { describe, expect, it } from 'vitest';
import { compareOutputs, compareOutputWords } from '../../src/rtl/compare.js';
import { checkWords, decodeOutputs, encodeRows } from '../../src/rtl/harness.js';
import { inputPorts, outputPorts, type PortSpec, type UnitDesign, type UnitSpec } from '../../src/rtl/unit.js';
import { getBig, getBits, getField, getFieldBig, getInt, getLanes, orBits, putBig, putField, putFieldBig, putInt, putLanes, putRandomBits, unitData, unitFromWords, wordOffsets } from '../../src/rtl/unit_words.js';
import { accelTopUnit } from '../../src/rtl/units/accel_top.js';
import { convWindowUnit } from '../../src/rtl/units/conv_window.js';
import { macArrayUnit } from '../../src/rtl/units/mac_array.js';
import { macPeUnit } from '../../src/rtl/units/mac_pe.js';
import { macPeShiftDesigns } from '../../src/rtl/units/mac_pe_shift.js';
import { requantizerUnit } from '../../src/rtl/units/requantizer.js';
import { xnorPopcountUnit } from '../../src/rtl/units/xnor_popcount.js';
import { InputError } from '../../src/util/errors.js';
import { Rng, testSeed } from '../../src/util/rng.js';

describe('port words: value helpers against BigInt', () => {
  it('putInt/getInt and putBig/getBig write and read two\'s complement patterns at every width', () => {
    const seed = testSeed(23);
    const rng = new Rng(seed);
    for (let bits = 1; bits <= 64; bits++) {
      const half = 1n << BigInt(bits - 1);
      // the signed corners and two random values, as signed values of the width (1 is -1 in 1 bit)
      const values = [-half, -half + 1n, -1n, 0n, 1n, half - 1n, rng.bigBits(bits), rng.bigBits(bits)].map((v) => BigInt.asIntN(bits, v));
      for (const v of values) {
        const pattern = BigInt.asUintN(bits, v);
        const big = new Uint32Array(3);
        putBig(big, 1, v, bits);
        expect(getBig(big, 1, bits, false), `bits ${bits} v ${v} seed ${seed}`).toBe(pattern);
        expect(getBig(big, 1, bits, true)).toBe(v);
        expect(big[0]).toBe(0);
        if (bits <= 53) {
          const num = new Uint32Array(3);
          putInt(num, 1, Number(v), bits);
          expect([...num], `bits ${bits} v ${v}`).toEqual([...big]);
          expect(getInt(num, 1, bits, true)).toBe(Number(v));
          expect(getInt(num, 1, bits, false)).toBe(Number(pattern));
          // the unsigned pattern writes the same words
          if (bits < 53) putInt(num, 1, Number(pattern), bits);
          expect([...num]).toEqual([...big]);
        }
      }
    }
  });

  it('orBits/getBits pack fields least significant first, across word boundaries', () => {
    const seed = testSeed(41);
    const rng = new Rng(seed);
    for (const bits of [1, 2, 3, 7, 8, 13, 31, 32]) {
      const n = Math.ceil(100 / bits);
      const values = Array.from({ length: n }, () => rng.bigBits(bits));
      const packed = values.reduce((a, v, i) => a | (v << BigInt(i * bits)), 0n);
      const w = new Uint32Array(6);
      values.forEach((v, i) => orBits(w, 1, i * bits, Number(v), bits));
      const what = `bits ${bits} seed ${seed}`;
      expect(getBig(w, 1, 160, false), what).toBe(packed);
      expect(w[0], what).toBe(0);
      expect(values.map((_, i) => BigInt(getBits(w, 1, i * bits, bits))), what).toEqual(values);
    }
  });

  it('putField/getField, putLanes/getLanes (<= 53 bits) and putFieldBig/getFieldBig (any width) pack signed lanes as BigInt packing does', () => {
    const seed = testSeed(43);
    const rng = new Rng(seed);
    for (const bits of [1, 2, 7, 8, 16, 31, 32, 33, 40, 52, 53, 63, 64, 65, 100]) {
      const n = 5;
      const lo = -(1n << BigInt(bits - 1));
      const hi = (1n << BigInt(bits - 1)) - 1n;
      // signed values: random, and the corners (a lane at the minimum has its top bit set)
      const values = [lo, hi, ...Array.from({ length: n - 2 }, () => BigInt.asIntN(bits, rng.bigBits(bits)))];
      const start = 3; // the fields straddle word boundaries
      const packed = values.reduce((a, v, i) => a | (BigInt.asUintN(bits, v) << BigInt(start + i * bits)), 0n);
      const size = Math.ceil((start + n * bits) / 32) + 1;
      const what = `bits ${bits} seed ${seed}`;
      const wb = new Uint32Array(size + 1);
      values.forEach((v, i) => putFieldBig(wb, 1, start + i * bits, v, bits));
      expect(getBig(wb, 1, 32 * size, false), what).toBe(packed);
      expect(wb[0], what).toBe(0);
      expect(values.map((_, i) => getFieldBig(wb, 1, start + i * bits, bits, true)), what).toEqual(values);
      expect(values.map((_, i) => getFieldBig(wb, 1, start + i * bits, bits, false)), what).toEqual(values.map((v) => BigInt.asUintN(bits, v)));
      if (bits > 53) continue;
      const w = new Uint32Array(size + 1);
      values.forEach((v, i) => putField(w, 1, start + i * bits, Number(v), bits));
      expect([...w], what).toEqual([...wb]);
      // putLanes / getLanes: the lanes from bit 0 of the port
      const lanes = new Uint32Array(size + 1);
      putLanes(lanes, 1, values.map(Number), n, bits);
      expect(getBig(lanes, 1, 32 * size, false), what).toBe(packed >> BigInt(start));
      expect(lanes[0], what).toBe(0);
      const back = new Array<number>(n);
      getLanes(lanes, 1, n, bits, true, back);
      expect(back.map(BigInt), what).toEqual(values);
      expect(values.map((_, i) => BigInt(getField(w, 1, start + i * bits, bits, true))), what).toEqual(values);
      expect(values.map((_, i) => BigInt(getField(w, 1, start + i * bits, bits, false))), what).toEqual(values.map((v) => BigInt.asUintN(bits, v)));
    }
  });

  it('putRandomBits draws exactly what rng.bigBits draws', () => {
    const seed = testSeed(5);
    for (const bits of [1, 7, 31, 32, 33, 40, 63, 64, 65, 96, 100, 128, 160, 200]) {
      const a = new Rng(seed + bits);
      const b = new Rng(seed + bits);
      for (let i = 0; i < 50; i++) {
        const w = new Uint32Array(8);
        w.fill(0xffffffff, 0, Math.ceil(bits / 32)); // the port's old contents are overwritten
        putRandomBits(a, w, 0, bits);
        expect(getBig(w, 0, bits, false), `bits ${bits} draw ${i} seed ${seed}`).toBe(b.bigBits(bits));
        expect(getBig(w, 0, 256, false) >> BigInt(bits)).toBe(0n);
      }
    }
  });
});

const ports: PortSpec[] = [
  { name: 'a_i', dir: 'in', width: 1 },
  { name: 'y_o', dir: 'out', width: 8, signed: true },
  { name: 'w_o', dir: 'out', width: 40 },
  { name: 'z_o', dir: 'out', width: 32 },
];
const outs = outputPorts(ports);

describe('port words: checks and comparison', () => {
  it('wordOffsets places ports by their word counts', () => {
    expect(wordOffsets(outs)).toEqual({ y_o: 0, w_o: 1, z_o: 3 });
  });

  it('checkWords rejects bits above a port width and a wrong cycle count, naming them', () => {
    const w = encodeRows('u', outs, [[-1n, (1n << 40n) - 1n, 0xffffffffn], [1n, 2n, 3n]], 'model output');
    expect(checkWords('u', outs, w, 'model output', 2)).toBe(2);
    const bad = w.slice();
    bad[4 + 2] = 1 << 8; // cycle 1, w_o's top word: bit 40
    expect(() => checkWords('u', outs, bad, 'model output')).toThrow(/u: model output w_o in cycle 1: bits above its 40-bit width are set/);
    const badY = w.slice();
    badY[0] = 0x100;
    expect(() => checkWords('u', outs, badY, 'model output')).toThrow(InputError);
    expect(() => checkWords('u', outs, w, 'model output', 3)).toThrow(/the model produced 2 output cycles for 3 stimulus cycles/);
    expect(() => checkWords('u', outs, w.subarray(1), 'model output')).toThrow(/not a multiple of 4/);
    expect(() => checkWords('u', inputPorts(ports), new Uint32Array([0, 2]), 'stimulus')).toThrow(/u: stimulus cycle 1 port a_i: bits above its 1-bit width/);
  });

  it('compareOutputWords finds the first differing cycle and port and counts cycles (as compareOutputs on rows)', () => {
    const seed = testSeed(9);
    const rng = new Rng(seed);
    const rows = Array.from({ length: 40 }, () => outs.map((p) => rng.bigBits(p.width)));
    const actual = rows.map((r) => [...r]);
    actual[17][2] ^= 1n << 31n;
    actual[23][1] ^= 1n << 39n;
    actual[17][1] ^= 1n;
    const e = encodeRows('u', outs, rows, 'model output');
    const a = encodeRows('u', outs, actual, 'model output');
    const c = compareOutputWords('u', outs, e, a, rows.length);
    expect(c.outputCycles).toBe(2);
    expect(c.first).toEqual({ kind: 'output', cycle: 17, signal: 'w_o', width: 40, signed: false, expected: rows[17][1], actual: actual[17][1] });
    expect(compareOutputs('u', outs, rows, actual)).toEqual(c);
    expect(compareOutputWords('u', outs, e, e, rows.length)).toEqual({ first: undefined, outputCycles: 0, badRegisters: 0, cycles: 40 });
  });
});

describe('the two forms of a unit agree (every design of mac_pe, mac_pe_shift, mac_array, requantizer, xnor_popcount, conv_window, accel_top)', () => {
  const cases: [UnitSpec, UnitDesign[]][] = [
    [macPeUnit, [...macPeUnit.designs(), ...macPeShiftDesigns()]],
    [macArrayUnit, macArrayUnit.designs()],
    [requantizerUnit, requantizerUnit.designs()],
    [xnorPopcountUnit, xnorPopcountUnit.designs()],
    [convWindowUnit, convWindowUnit.designs()],
    [accelTopUnit, accelTopUnit.designs()],
  ];

  it('unitData through the BigInt rows equals the typed fast path, words and traces', () => {
    const seed = testSeed(31);
    for (const [unit, designs] of cases) {
      // the same unit with its BigInt stimulus/model only: the generic path of the machinery
      const rowsOnly: UnitSpec = { ...unit, words: undefined };
      for (const { label, design } of designs) {
        const p = unit.ports(design);
        const fast = unitData(unit, design, p, seed, 300);
        const slow = unitData(rowsOnly, design, p, seed, 300);
        const what = `${unit.name} ${label} seed ${seed}`;
        expect(slow.cycles, what).toBe(fast.cycles);
        expect([...slow.stimulus], what).toEqual([...fast.stimulus]);
        const mf = fast.model();
        const ms = slow.model();
        expect([...ms.outputs], what).toEqual([...mf.outputs]);
        for (const { model: key } of unit.traceSignals?.(design) ?? []) {
          expect(Array.from(ms.trace![key], (x) => BigInt(x)), `${what} trace ${key}`).toEqual(Array.from(mf.trace![key], (x) => BigInt(x)));
        }
        // the derived rows decode the fast path's words
        expect(decodeOutputs(inputPorts(p), fast.stimulus, fast.cycles), what).toEqual(unit.stimulus(design, seed, 300));
      }
    }
  });

  it('unitFromWords rejects a fast model that writes outside a port', () => {
    const broken = unitFromWords({
      ...macPeUnit,
      words: {
        stimulus: macPeUnit.words!.stimulus,
        model: (d, s, r) => {
          const m = macPeUnit.words!.model(d, s, r);
          m.outputs[7 * 3] = 2; // cycle 3, h_valid_o (1 bit)
          return { outputs: m.outputs };
        },
      },
    });
    const { design } = macPeUnit.designs()[0];
    expect(() => broken.model(design, broken.stimulus(design, 1, 10))).toThrow(/mac_pe: model output h_valid_o in cycle 3: bits above its 1-bit width/);
    expect(() => unitData(broken, design, broken.ports(design), 1, 10).model()).toThrow(/model output h_valid_o in cycle 3/);
  });
});
