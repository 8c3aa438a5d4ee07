import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PRESETS, PRESET_NAMES } from '../../src/hw/presets.js';
import { deriveDesign, designToJson, loadDesign, parseDesign, signedBitsFor } from '../../src/hw/design.js';
import { BINARY, formatBits, formatRange, intFormat } from '../../src/arith/format.js';
import { inputErrorMessage as msg } from './helpers/input_error.js';


describe('presets', () => {
  it('every preset parses to itself', () => {
    for (const n of PRESET_NAMES) expect(parseDesign(designToJson(PRESETS[n]))).toEqual(PRESETS[n]);
  });
  it('int8 / int4 / binary are what the task names', () => {
    const d = loadDesign('int8');
    expect([d.array.rows, d.array.cols, d.array.dataflow]).toEqual([16, 16, 'os']);
    expect(d.weight).toEqual(intFormat(8, true));
    expect(d.accumulator).toEqual({ bits: 32, overflow: 'WRAP' });
    expect([d.requant.mode, d.requant.granularity, d.requant.out]).toEqual(['double', 'channel', intFormat(8, true)]);
    expect(loadDesign('int4').activation).toEqual(intFormat(4, true));
    const b = loadDesign('binary');
    expect(b.xnor).toEqual({ bitsPerCycle: 64, thresholds: 1 });
    expect(deriveDesign(b).xnor).toBe(true);
    expect(deriveDesign(d).xnor).toBe(false);
  });
  it('loadDesign returns a copy', () => {
    loadDesign('int8').array.rows = 3;
    expect(PRESETS.int8.array.rows).toBe(16);
  });
});

describe('parseDesign errors name the field, value and range', () => {
  const cases: [unknown, string][] = [
    [{ base: 'int8', array: { rows: 0 } }, 'array.rows: got 0; allowed: an integer 1..1024'],
    [{ base: 'int8', array: { cols: 2.5 } }, 'array.cols: got 2.5; allowed: an integer 1..1024'],
    [{ base: 'int8', array: { dataflow: 'rs' } }, 'array.dataflow: got "rs"; allowed: one of os, ws, is'],
    [{ base: 'int8', weight: { bits: 17 } }, 'weight.bits: got 17; allowed: an integer 1..16'],
    [{ base: 'int8', activation: { signed: 'yes' } }, 'activation.signed: got "yes"; allowed: true or false'],
    [{ base: 'int8', accumulator: { bits: 65 } }, 'accumulator.bits: got 65; allowed: an integer 2..64'],
    [{ base: 'int8', accumulator: { overflow: 'SAT_SYM' } }, 'accumulator.overflow: got "SAT_SYM"; allowed: one of WRAP, SAT'],
    [{ base: 'int8', requant: { rounding: 'NEAREST' } }, 'requant.rounding: got "NEAREST"'],
    [{ base: 'int8', requant: { zeroPoint: 128 } }, 'requant.zeroPoint: got 128; allowed: an integer -128..127'],
    [{ base: 'int8', requant: { outSigned: false, zeroPoint: -1 } }, 'requant.zeroPoint: got -1; allowed: an integer 0..255'],
    [{ base: 'int8', xnor: { thresholds: 256 } }, 'xnor.thresholds: got 256; allowed: an integer 1..255'],
    [{ base: 'int8', buffers: { weightBytes: -1 } }, 'buffers.weightBytes: got -1'],
    [{ base: 'int8', clockMHz: 0 }, 'clockMHz: got 0; allowed: a number 0.001..100000'],
    [{ base: 'int9' }, 'base: got "int9"; allowed: one of int8,'],
    [{ base: 'int8', array: 3 }, 'array: got 3; allowed: an object'],
    [[], 'design: got [0 items]; allowed: an object'],
    [{ base: 'int8', name: '' }, 'name: got ""; allowed: a non-empty string'],
  ];
  for (const [json, expected] of cases) {
    it(expected, () => expect(msg(() => parseDesign(json, 'd.json'))).toContain(`d.json: ${expected}`));
  }
  it('unknown fields get a suggestion', () => {
    expect(msg(() => parseDesign({ base: 'int8', aray: {} }))).toContain('aray: unknown field; did you mean "array"?');
    expect(msg(() => parseDesign({ base: 'int8', array: { row: 4 } }))).toContain(
      'array.row: unknown field; did you mean "rows"?',
    );
    expect(msg(() => parseDesign({ base: 'int8', requant: { zp: 0 } }))).toContain('requant.zp: unknown field (allowed:');
  });
  it('without base every field is required', () => {
    const { name: _n, ...rest } = structuredClone(PRESETS.int8);
    expect(msg(() => parseDesign(rest))).toContain('name: got undefined');
    const noXnor = structuredClone(PRESETS.int8) as unknown as Record<string, unknown>;
    delete noXnor.xnor;
    expect(msg(() => parseDesign(noXnor))).toContain('xnor: got undefined; allowed: an object');
  });
  it('base merges one level deep', () => {
    const d = parseDesign({ base: 'int8', name: 'mine', array: { rows: 8 } });
    expect(d.array).toEqual({ rows: 8, cols: 16, dataflow: 'os' });
    expect(d.name).toBe('mine');
  });
});

describe('loadDesign', () => {
  it('reads JSON files and applies overrides', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lowbit-design-'));
    const f = join(dir, 'd.json');
    writeFileSync(f, JSON.stringify({ base: 'int4', name: 'f', array: { dataflow: 'ws' } }));
    const d = loadDesign(f, { array: '8x32', dataflow: 'is' });
    expect([d.name, formatBits(d.weight), d.array.rows, d.array.cols, d.array.dataflow]).toEqual(['f', 4, 8, 32, 'is']);
    writeFileSync(f, '{bad');
    expect(msg(() => loadDesign(f))).toContain(`${f}: not valid JSON`);
    writeFileSync(f, JSON.stringify({ base: 'int8', array: { rows: -2 } }));
    expect(msg(() => loadDesign(f))).toContain(`${f}: array.rows: got -2`);
  });
  it('rejects bad names and overrides', () => {
    expect(msg(() => loadDesign('nope'))).toContain('design: got "nope"; allowed: a preset (int8,');
    expect(msg(() => loadDesign('int8', { array: '16' }))).toContain('array: got "16"; allowed: ROWSxCOLS');
    expect(msg(() => loadDesign('int8', { array: '0x4' }))).toContain('array rows: got 0');
    expect(msg(() => loadDesign('int8', { dataflow: 'xx' }))).toContain('dataflow: got "xx"');
  });
});

describe('deriveDesign', () => {
  it('signedBitsFor at the edges', () => {
    expect(signedBitsFor(-1n, 0n)).toBe(1);
    expect(signedBitsFor(-1n, 1n)).toBe(2);
    expect(signedBitsFor(-128n, 127n)).toBe(8);
    expect(signedBitsFor(-128n, 128n)).toBe(9);
    expect(signedBitsFor(-(2n ** 63n), 2n ** 63n - 1n)).toBe(64);
  });
  it('operands: the JSON spelling {bits: 1, signed: true} is binary ±1, every other an int; designToJson writes it back', () => {
    const op = (bits: number, signed: boolean) => parseDesign({ base: 'int8', weight: { bits, signed } }).weight;
    expect(op(1, true)).toEqual(BINARY);
    expect(formatRange(op(1, true))).toEqual({ min: -1, max: 1 });
    expect(op(1, false)).toEqual(intFormat(1, false));
    expect(formatRange(op(16, true))).toEqual({ min: -32768, max: 32767 });
    expect(designToJson(PRESETS.binary).weight).toEqual({ bits: 1, signed: true });
    expect(designToJson(PRESETS.int8).activation).toEqual({ bits: 8, signed: true });
  });
  it('operands in their NumFormat spelling: JSON.stringify of a Design parses back to it; {-1, 0} ints are refused', () => {
    for (const n of PRESET_NAMES) expect(parseDesign(JSON.parse(JSON.stringify(PRESETS[n])))).toEqual(PRESETS[n]);
    expect(parseDesign({ base: 'int8', weight: { type: 'binary' } }).weight).toEqual(BINARY);
    expect(parseDesign({ base: 'binary', activation: { type: 'int', bits: 4, signed: false } }).activation).toEqual(intFormat(4, false));
    expect(msg(() => parseDesign({ base: 'int8', weight: { type: 'int', bits: 1, signed: true } }))).toContain('weight: a 1-bit signed int ({-1, 0}) is not an operand format of the array; use {"type": "binary"} for ±1');
    expect(msg(() => parseDesign({ base: 'int8', weight: { type: 'binary', bits: 1 } }))).toContain('weight: a binary format has no bits or signed');
    expect(msg(() => parseDesign({ base: 'int8', weight: { type: 'float' } }))).toContain('weight.type');
  });
  it('the requantizer output: JSON outBits/outSigned (1-bit signed = binary) or out as a NumFormat, once', () => {
    const out = (rq: Record<string, unknown>) => parseDesign({ base: 'int8', requant: rq }).requant;
    // old files spell it outBits/outSigned: converted at parse time by fromJsonOperand
    expect(out({ outBits: 4, outSigned: false }).out).toEqual(intFormat(4, false));
    expect(out({ outBits: 1, outSigned: true }).out).toEqual(BINARY);
    expect(PRESETS.binary.requant.out).toEqual(BINARY);
    expect(designToJson(PRESETS.binary).requant).toEqual({ mode: 'shift', rounding: 'TRN', granularity: 'channel', outBits: 1, outSigned: true, zeroPoint: 0, relu: false });
    for (const n of PRESET_NAMES) expect(parseDesign(designToJson(PRESETS[n]))).toEqual(PRESETS[n]);
    // the NumFormat spelling replaces the base's outBits/outSigned
    expect(out({ out: { type: 'int', bits: 3, signed: true } }).out).toEqual(intFormat(3, true));
    expect(out({ out: { type: 'binary' }, zeroPoint: 0 }).out).toEqual(BINARY);
    expect(deriveDesign(parseDesign({ base: 'int8', requant: { out: { type: 'binary' } } })).outRange).toEqual([-1, 1]);
    expect(msg(() => parseDesign({ base: 'int8', requant: { out: { type: 'binary' }, zeroPoint: 1 } }))).toContain('requant.zeroPoint: got 1; allowed: an integer 0..0');
    expect(msg(() => parseDesign({ name: 'x', ...designToJson(PRESETS.int8), requant: { ...(designToJson(PRESETS.int8).requant as object), out: { type: 'binary' } } }))).toContain('requant: the output format is given twice; give outBits/outSigned or out, not both');
    expect(msg(() => out({ out: { type: 'int', bits: 1, signed: true } }))).toContain('requant.out: a 1-bit signed int ({-1, 0}) is not an output format of a Design; use {"type": "binary"} for ±1');
    expect(msg(() => out({ out: { type: 'int', bits: 17, signed: true } }))).toContain('requant.out.bits: got 17; allowed: an integer 1..16');
    expect(msg(() => out({ out: { type: 'int', bits: 8, sign: true } }))).toContain('requant.out.sign: unknown field; did you mean "signed"?');
  });
  it('accumulator widths equal the textbook W+A+ceil(log2 K) at powers of two, never exceed it', () => {
    for (const bits of [2, 4, 8, 16]) {
      const d = parseDesign({ base: 'int8', weight: { bits }, activation: { bits } });
      const dd = deriveDesign(d);
      expect(dd.productBits).toBe(2 * bits);
      for (const k of [1, 2, 3, 4, 5, 64, 100, 1024, 4097, 2 ** 20]) {
        const formula = 2 * bits + Math.ceil(Math.log2(k));
        expect(dd.accBitsNeeded(k)).toBeLessThanOrEqual(formula);
        if (Number.isInteger(Math.log2(k))) expect(dd.accBitsNeeded(k)).toBe(formula);
      }
    }
    const dd = deriveDesign(PRESETS.int8, 3);
    expect(dd.accBitsForK).toBe(17); // 3 * 16384 = 49152 < 2^16
    expect(dd.overflowPossible).toBe(false);
    // unsigned x unsigned needs a sign bit more in the (signed) accumulator
    const u = deriveDesign(parseDesign({ base: 'int8', weight: { signed: false }, activation: { signed: false } }));
    expect(u.productRange).toEqual([0, 65025]);
    expect(u.productBits).toBe(17);
  });
  it('the exact width never exceeds the textbook rule, for every width and signedness', () => {
    for (const wb of [1, 2, 3, 4, 7, 8, 16]) {
      for (const ab of [1, 2, 5, 8, 16]) {
        for (const ws of [true, false]) {
          for (const as of [true, false]) {
            const dd = deriveDesign(parseDesign({ base: 'int8', weight: { bits: wb, signed: ws }, activation: { bits: ab, signed: as } }));
            for (const k of [1, 2, 3, 7, 8, 9, 784, 1024, 100000]) {
              const ctx = `w${ws ? 's' : 'u'}${wb} a${as ? 's' : 'u'}${ab} K=${k}`;
              expect(dd.accBitsNeeded(k), ctx).toBeLessThanOrEqual(dd.accBitsRule(k));
              // and it is tight: one bit fewer cannot hold K * the extreme product
              const [plo, phi] = dd.productRange;
              const b = dd.accBitsNeeded(k) - 1;
              if (b >= 1) expect(k * plo < -(2 ** (b - 1)) || k * phi > 2 ** (b - 1) - 1, ctx).toBe(true);
            }
          }
        }
      }
    }
    expect(deriveDesign(PRESETS.int8).accBitsRule(784)).toBe(26);
    expect(deriveDesign(PRESETS.int8).accBitsNeeded(784)).toBe(25);
  });
  it('maxExactK is the last K without overflow', () => {
    for (const n of PRESET_NAMES) {
      const dd = deriveDesign(PRESETS[n]);
      expect(dd.accBitsNeeded(dd.maxExactK)).toBeLessThanOrEqual(PRESETS[n].accumulator.bits);
      expect(dd.accBitsNeeded(dd.maxExactK + 1)).toBeGreaterThan(PRESETS[n].accumulator.bits);
    }
    expect(deriveDesign(PRESETS.int8).maxExactK).toBe(131071); // 131071 * 16384 < 2^31 <= 131072 * 16384
    expect(deriveDesign(PRESETS.binary).maxExactK).toBe(32767);
  });
  it('packing and peak rates', () => {
    const dd = deriveDesign(PRESETS.int4, 100);
    expect([dd.weightsPerWord, dd.wordsPerRow, dd.packedWordsPerRow(8), dd.packedWordsPerRow(9)]).toEqual([8, 13, 1, 2]);
    expect(deriveDesign(PRESETS.binary, 784).wordsPerRow).toBe(25);
    expect(deriveDesign(PRESETS.int8).peakOpsPerSecond).toBe(2 * 256 * 200e6);
    expect(deriveDesign(PRESETS.binary).xnorMacsPerCycle).toBe(64);
    expect(deriveDesign(PRESETS.binary).peakMacsPerCycle).toBe(256);
  });
});
