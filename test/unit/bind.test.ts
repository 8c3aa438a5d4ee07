import { describe, it, expect } from 'vitest';
import { formatBits, formatRange } from '../../src/arith/format.js';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDesign } from '../../src/hw/design.js';
import { compareBound } from '../../src/rtl/bind/check.js';
import type { CycleLog } from '../../src/rtl/bind/harness.js';
import { BIND_MODEL_TABLE } from '../../src/rtl/bind/model_table.js';
import type { Txn } from '../../src/rtl/bind/models.js';
import { Rng } from '../../src/util/rng.js';
import { readVectors, writeVectorsJson } from '../../src/rtl/bind/vectors.js';
import { writeNpy } from '../../src/util/npy.js';
import { gemmShape } from '../../src/rtl/bind/gemm_model.js';
import { bitSerialDot, bitSerialWords, packBitPlanes } from '../../src/hw/bit_serial.js';
import { parsePortsXml, type RtlPort } from '../../src/rtl/bind/ports.js';
import { packField, resolveBinding, unpackField, type ResolvedField } from '../../src/rtl/bind/resolve.js';
import { BIND_KEYS, BIND_MODELS, loadBinding, parseBinding } from '../../src/rtl/bind/spec.js';
import { inputErrorMessage } from './helpers/input_error.js';
import { unitNames } from '../../src/rtl/units/index.js';
import { parseUnitBinding, unitWrapper } from '../../src/rtl/bind/unit_bind.js';
import { UNITS } from '../../src/rtl/units/index.js';

/** The port binding of user RTL (src/rtl/bind/): validation, schema agreement, packing, models, comparison. */
const INT8 = 'examples/rtl/int8_dot/bind.json';
const XNOR = 'examples/rtl/xnor64/bind.json';
const int8Json = (): Record<string, unknown> => JSON.parse(readFileSync(INT8, 'utf8')) as Record<string, unknown>;
/** dot8_core's ports as Verilator lists them */
const DOT8: RtlPort[] = [
  { name: 'clk', dir: 'in', width: 1 }, { name: 'rst', dir: 'in', width: 1 }, { name: 's_valid', dir: 'in', width: 1 },
  { name: 's_ready', dir: 'out', width: 1 }, { name: 's_a', dir: 'in', width: 64 }, { name: 's_b', dir: 'in', width: 64 },
  { name: 's_last', dir: 'in', width: 1 }, { name: 'm_valid', dir: 'out', width: 1 }, { name: 'm_ready', dir: 'in', width: 1 },
  { name: 'm_acc', dir: 'out', width: 32 },
];

describe('bind.json validation', () => {
  it('reads both example bindings, with defaults filled in', () => {
    const b = loadBinding(INT8);
    expect(b.model).toBe('mac_pe');
    expect(b.reset).toEqual({ port: 'rst', active: 'high', cycles: 2 });
    expect(b.timing).toEqual({ mode: 'transaction' });
    expect(b.inputs[0].fields.map((f) => [f.operand, f.port, f.order])).toEqual([['a', 's_a', 'lsb-first'], ['w', 's_b', 'lsb-first'], ['last', 's_last', 'lsb-first']]);
    const x = loadBinding(XNOR);
    expect(x.timing).toEqual({ mode: 'cycle', latency: 2 });
    expect(x.readyRate).toBe(1);
    expect(x.inputs[0].fields[0].order).toBe('msb-first');
  });

  it('names the field (and the port) in every error', () => {
    const bad = (patch: (j: Record<string, unknown>) => void): string => {
      const j = int8Json();
      patch(j);
      return inputErrorMessage(() => parseBinding(j, 'b.json'));
    };
    expect(bad((j) => (j.clok = 'clk'))).toBe('b.json: clok: unknown field; did you mean clock? (allowed: $schema, model, clock, reset, load, inputs, outputs, constants, timing, stimulus)');
    expect(bad((j) => (j.model = 'mac'))).toBe('b.json: model: got "mac"; allowed: mac_pe, gemm, xnor_popcount, bit_serial, requantizer, accelerator');
    expect(bad((j) => ((j.inputs as Record<string, unknown>[])[0].fields = { a: { port: 's_a', order: 'big' } }))).toBe(
      'b.json: inputs[0].fields.a.order (port s_a): got "big"; allowed: lsb-first, msb-first',
    );
    expect(bad((j) => (j.timing = { mode: 'cycle' }))).toMatch(/^b\.json: timing\.latency: cycle mode needs the latency/);
    expect(bad((j) => (j.timing = { mode: 'transaction', latency: 3 }))).toMatch(/^b\.json: timing\.latency: a latency is only stated in cycle mode/);
    expect(bad((j) => ((j.outputs as Record<string, unknown>[])[0].ready = 's_valid'))).toBe('b.json: outputs[0].ready: port s_valid is already bound at inputs[0].valid');
    expect(bad((j) => ((j.reset as Record<string, unknown>).active = 1))).toBe('b.json: reset.active (port rst): got 1; allowed: high, low');
  });

  it('the shipped JSON Schema lists exactly the fields and models the validator accepts', () => {
    const s = JSON.parse(readFileSync('schema/bind.schema.json', 'utf8')) as Record<string, any>;
    const keys = (o: Record<string, unknown>): string[] => Object.keys(o).sort();
    const sb = s.$defs.streamBinding;
    expect(keys(sb.properties)).toEqual([...BIND_KEYS['']].sort());
    expect(keys(sb.properties.reset.properties)).toEqual([...BIND_KEYS.reset].sort());
    expect(keys(sb.properties.timing.properties)).toEqual([...BIND_KEYS.timing].sort());
    expect(keys(sb.properties.stimulus.properties)).toEqual([...BIND_KEYS.stimulus].sort());
    const ub = s.$defs.unitBinding;
    expect(keys(ub.properties)).toEqual([...BIND_KEYS.unit].sort());
    expect(keys(ub.properties.ports.additionalProperties.oneOf[1].properties)).toEqual([...BIND_KEYS.unitPort].sort());
    expect(ub.properties.unit.enum).toEqual(unitNames());
    const stream = s.$defs.streams.items;
    expect(keys(stream.properties)).toEqual([...BIND_KEYS.stream].sort());
    expect(keys(stream.properties.fields.additionalProperties.oneOf[1].properties)).toEqual([...BIND_KEYS.field].sort());
    expect(sb.properties.model.enum).toEqual([...BIND_MODELS]);
    expect(sb.required).toEqual(['model', 'clock', 'reset', 'inputs', 'outputs']);
  });
});

describe('binding against the RTL port list', () => {
  const int8 = loadDesign('int8');
  const resolveWith = (patch: (j: Record<string, unknown>) => void, ports = DOT8, design = int8): string => {
    const j = int8Json();
    patch(j);
    return inputErrorMessage(() => resolveBinding(parseBinding(j, 'b.json'), design, ports, 'dot8_core'));
  };

  it('resolves the example: lanes from the port widths', () => {
    const r = resolveBinding(loadBinding(INT8), int8, DOT8, 'dot8_core');
    expect(r.lanes).toEqual({ a: 8, w: 8, last: 1, acc: 1 });
    expect(r.ins[0].fields.map((f) => [f.port, f.width, f.laneBits, f.signed])).toEqual([['s_a', 64, 8, true], ['s_b', 64, 8, true], ['s_last', 1, 1, false]]);
  });

  it('a wrong port name, direction or width is one line naming the field and the port', () => {
    expect(resolveWith((j) => ((j.outputs as any)[0].fields = { acc: 'm_accum' }))).toBe(
      'b.json: outputs[0].fields.acc.port: RTL port m_accum is not a port of dot8_core; did you mean m_acc? (its ports: clk, rst, s_valid, s_ready, s_a, s_b, s_last, m_valid, m_ready, m_acc)',
    );
    const sel = [...DOT8, { name: 'sel', dir: 'in' as const, width: 4 }];
    expect(resolveWith((j) => ((j.inputs as any)[0].valid = 'sel'), sel)).toBe('b.json: inputs[0].valid: RTL port sel is 4 bits wide; expected 1');
    expect(resolveWith((j) => ((j.inputs as any)[0].ready = 'sel'), sel)).toBe('b.json: inputs[0].ready: RTL port sel is an input of dot8_core; this field needs an output');
    // int2: a 16-bit accumulator, but m_acc is 32 bits
    expect(resolveWith(() => undefined, DOT8, loadDesign('int2'))).toMatch(/^b\.json: inputs\[0\]\.fields\.a \(port s_a, 64 bits\): laneBits 8, but mac_pe on design int2 has 2-bit activation/);
    expect(resolveWith((j) => ((j.inputs as any)[0].fields = { a: 's_a', w: 's_b', last: 's_last' }), DOT8, loadDesign('int2'))).toBe(
      'b.json: outputs[0].fields.acc (port m_acc, 32 bits): acc has 1 lane(s) of 16 bits, i.e. a 16-bit port',
    );
    const narrow = DOT8.map((p) => (p.name === 's_b' ? { ...p, width: 56 } : p));
    expect(resolveWith(() => undefined, narrow)).toBe('b.json: inputs[0].fields.w (port s_b, 56 bits): 7 lanes, but a has 8; both operands of a dot product have the same lanes');
    const extra = [...DOT8, { name: 'mode', dir: 'in' as const, width: 2 }];
    expect(resolveWith(() => undefined, extra)).toBe('b.json: constants: RTL input port mode (2 bits) of dot8_core is not bound; bind it in a stream or tie it off in "constants": {"mode": 0}');
    expect(resolveWith((j) => (j.constants = { mode: 4 }), extra)).toBe('b.json: constants.mode: value 4 does not fit the 2-bit port mode');
    expect(resolveWith((j) => ((j.inputs as any)[0].fields = { a: 's_a', wt: 's_b' }))).toBe('b.json: inputs[0].fields.wt: model mac_pe has no input operand wt; did you mean w? (allowed: a, w, last)');
  });

  it('reads ports from Verilator XML (packed vectors, widths from left/right)', () => {
    const xml = `<netlist><module name="t" topModule="1">
      <var name="clk" dtype_id="1" dir="input"/><var name="d" dtype_id="2" dir="input"/><var name="q" dtype_id="3" dir="output"/>
      <var name="tmp" dtype_id="2" vartype="logic"/></module>
      <typetable><basicdtype id="1" name="logic"/><basicdtype id="2" name="logic" left="63" right="0"/>
      <basicdtype id="3" name="logic" left="0" right="15" signed="true"/></typetable></netlist>`;
    expect(parsePortsXml(xml, 't')).toEqual([{ name: 'clk', dir: 'in', width: 1 }, { name: 'd', dir: 'in', width: 64 }, { name: 'q', dir: 'out', width: 16 }]);
    const arr = xml.replace('<basicdtype id="3" name="logic" left="0" right="15" signed="true"/>', '<unpackarraydtype id="3" sub_dtype_id="1"/>');
    expect(() => parsePortsXml(arr, 't')).toThrow('top t: port q has a unpackarray type; bind a top whose ports are plain packed vectors (wrap the module if needed)');
  });
});

describe('lane packing', () => {
  const f = (order: 'lsb-first' | 'msb-first', signed: boolean): ResolvedField => ({ operand: 'a', port: 'p', width: 16, lanes: 4, laneBits: 4, signed, order });
  it('lsb-first puts lane 0 in the low bits, msb-first in the high bits; signed lanes sign-extend', () => {
    expect(packField(f('lsb-first', true), [1n, -1n, 7n, -8n]).toString(16)).toBe('87f1');
    expect(packField(f('msb-first', true), [1n, -1n, 7n, -8n]).toString(16)).toBe('1f78');
    expect(unpackField(f('lsb-first', true), 0x87f1n)).toEqual([1n, -1n, 7n, -8n]);
    expect(unpackField(f('msb-first', false), 0x1f78n)).toEqual([1n, 15n, 7n, 8n]);
  });
});

describe('transaction models against plain definitions', () => {
  it('mac_pe: sum of a[i]*w[i] over the beats up to last, wrapped to 32 bits (int8)', () => {
    const d = loadDesign('int8');
    const m = BIND_MODEL_TABLE.mac_pe;
    const bound = new Set(['a', 'w', 'last', 'acc']);
    const ins = m.stimulus(d, { a: 8 }, bound, 5, 30, [1, 5]);
    const run = m.run(d, ins, bound, { a: 8, w: 8, acc: 1 });
    let sum = 0n;
    let k = 0;
    for (let i = 0; i < ins.length; i++) {
      for (let l = 0; l < 8; l++) sum += ins[i].a[l] * ins[i].w[l];
      if (ins[i].last[0] === 1n) {
        expect(run.outputs[k].acc[0]).toBe(BigInt.asIntN(32, sum));
        expect(run.to[k]).toBe(i);
        k++;
        sum = 0n;
      }
    }
    expect(k).toBe(run.outputs.length);
    expect(k).toBe(25 + 30); // 5x5 corner pairs (min, max, 0, 1, -1) + 30 random dot products
  });

  it('mac_pe saturates after every add when the design says SAT (int2: 16-bit SAT)', () => {
    const d = loadDesign('int2');
    const t: Txn[] = Array.from({ length: 20000 }, (_, i) => ({ a: [-2n], w: [-2n], last: [i === 19999 ? 1n : 0n] }));
    t.push({ a: [1n], w: [-1n], last: [1n] });
    const run = BIND_MODEL_TABLE.mac_pe.run(d, t, new Set(['a', 'w', 'last', 'acc']), { a: 1, w: 1, acc: 1 });
    expect(run.outputs.map((o) => o.acc[0])).toEqual([32767n, -1n]);
  });

  it('xnor_popcount: agreeing minus disagreeing positions, summed over the beats', () => {
    const d = loadDesign('binary');
    const bound = new Set(['a', 'w', 'last', 'dot']);
    const ins = BIND_MODEL_TABLE.xnor_popcount.stimulus(d, { a: 64 }, bound, 9, 20, [1, 3]);
    const run = BIND_MODEL_TABLE.xnor_popcount.run(d, ins, bound, { a: 64, w: 64, dot: 1 });
    let k = 0;
    let dot = 0n;
    for (const t of ins) {
      for (let l = 0; l < 64; l++) dot += t.a[l] === t.w[l] ? 1n : -1n;
      if (t.last[0] === 1n) {
        expect(run.outputs[k++].dot[0]).toBe(dot);
        dot = 0n;
      }
    }
    expect(run.outputs.slice(0, 2).map((o) => o.dot[0])).toEqual([64n, 64n]); // all agree (ones, zeros)
    expect(run.outputs[2].dot[0]).toBe(-64n);
  });
});

describe('gemm and bit_serial transaction models against plain definitions', () => {
  it('gemm: the shape from the lane counts; Y[m][n] = sum_k A[m][k] W[k][n] wrapped (int8), saturated in k order (int2)', () => {
    expect(gemmShape(8, 12, 6)).toEqual({ m: 2, k: 4, n: 3 });
    expect(gemmShape(8, 12, 7)).toBeUndefined();
    expect(gemmShape(6, 4, 3)).toBeUndefined(); // K = 2.83
    const d = loadDesign('int8');
    const m = BIND_MODEL_TABLE.gemm;
    const lanes = { a: 8, w: 12, y: 6 };
    const ins = m.stimulus(d, lanes, new Set(['a', 'w', 'y']), 3, 40, [1, 1]);
    const run = m.run(d, ins, new Set(), lanes);
    expect(run.outputs.length).toBe(25 + 40);
    ins.forEach((t, i) => {
      const want: bigint[] = [];
      for (let r = 0; r < 2; r++) for (let c = 0; c < 3; c++) want.push(BigInt.asIntN(32, [0, 1, 2, 3].reduce((s, k) => s + t.a[r * 4 + k] * t.w[k * 3 + c], 0n)));
      expect(run.outputs[i].y).toEqual(want);
    });
    // int2: 16-bit SAT after every add, k in order: (2 x 20000) . (20000 x 1) of -2*-2 then one -1
    const d2 = loadDesign('int2');
    const a = [...Array(20000).fill(-2n), 1n];
    const w = [...Array(20000).fill(-2n), -1n];
    expect(m.run(d2, [{ a, w }], new Set(), { a: 20001, w: 20001, y: 1 }).outputs[0].y).toEqual([32766n]);
  });

  it('bit_serial: lowbit\'s plane schedule of x, y gives sum_i x_i y_i (int4 signed, int8, unsigned activations)', () => {
    const m = BIND_MODEL_TABLE.bit_serial;
    const bound = new Set(['a', 'w', 'shift', 'neg', 'last', 'dot']);
    for (const name of ['int4', 'int8']) {
      const d = loadDesign(name);
      const ins = m.stimulus(d, { a: 32 }, bound, 11, 15, [1, 1]);
      const run = m.run(d, ins, bound, { a: 32, w: 32, shift: 1, neg: 1, last: 1, dot: 1 });
      expect(run.outputs.length).toBe(4 + 15);
      // the 4 directed corners over 32 lanes: min*min, max*max, min*max, max*min
      const { min: lo, max: hi } = formatRange(d.activation);
      expect(run.outputs.slice(0, 4).map((o) => Number(o.dot[0]))).toEqual([32 * lo * lo, 32 * hi * hi, 32 * lo * hi, 32 * hi * lo]);
      // every dot product: recover x_i, y_i from the planes (bit m of x_i is lane i of the beat with shift m + k,
      // k = 0) and compare with the plain sum
      run.outputs.forEach((o, k) => {
        const beats = ins.slice(run.from[k], run.to[k] + 1);
        expect(beats.length % (formatBits(d.activation) * formatBits(d.weight))).toBe(0);
        let direct = 0n;
        for (const t of beats) {
          for (let i = 0; i < 32; i++) direct += (t.neg[0] === 1n ? -1n : 1n) * (t.a[i] & t.w[i]) * (1n << t.shift[0]);
        }
        expect(o.dot[0]).toBe(BigInt.asIntN(32, direct));
      });
    }
    expect(() => m.checkDesign!(loadDesign('binary'))).toThrow(/bipolar/);
  });

  it('bit_serial equals bitSerialDot and the integer dot product of the vectors it serializes', () => {
    const d = loadDesign('int4');
    const fx = { type: 'int', bits: 4, signed: true } as const;
    const rng = new Rng(4);
    const x = Array.from({ length: 70 }, () => rng.int(-8, 7));
    const y = Array.from({ length: 70 }, () => rng.int(-8, 7));
    const words = bitSerialWords(packBitPlanes(x, fx), fx, packBitPlanes(y, fx), fx, 70, 32);
    const lanesOf = (v: Uint32Array): bigint[] => Array.from({ length: 32 }, (_, i) => BigInt((v[i >>> 5] >>> (i & 31)) & 1));
    const txns: Txn[] = words.map((wd) => ({ a: lanesOf(wd.a), w: lanesOf(wd.w), shift: [BigInt(wd.shift)], neg: [wd.neg ? 1n : 0n], last: [wd.last ? 1n : 0n] }));
    const run = BIND_MODEL_TABLE.bit_serial.run(d, txns, new Set(), { a: 32 });
    const plain = x.reduce((s, xi, i) => s + xi * y[i], 0);
    expect(run.outputs.map((o) => Number(o.dot[0]))).toEqual([plain]);
    expect(bitSerialDot(packBitPlanes(x, fx), fx, packBitPlanes(y, fx), fx, 70)).toBe(plain);
  });
});

describe('requantizer transaction model', () => {
  it('requantizer (shift mode, RND, zero point -3): clamp(floor((acc + 2^(n-1)) / 2^n) - 3, -128, 127)', () => {
    const d = loadDesign('examples/rtl/requant_shift/design.json');
    const m = BIND_MODEL_TABLE.requantizer;
    const bound = new Set(['acc', 'shift', 'y']);
    for (const seed of [1, 2, 3, 4]) {
      const ins = m.stimulus(d, { acc: 4 }, bound, seed, 20, [1, 1]);
      const run = m.run(d, ins, bound, { acc: 4, shift: 1, y: 4 });
      expect(run.outputs.length).toBe(ins.length);
      ins.forEach((t, k) => {
        const n = t.shift[0];
        const want = t.acc.map((a) => {
          const floorDiv = (x: bigint, m: bigint): bigint => (x >= 0n ? x / m : -((-x + m - 1n) / m));
          const q = n === 0n ? a : floorDiv(a + (1n << (n - 1n)), 1n << n);
          const y = q - 3n;
          return y > 127n ? 127n : y < -128n ? -128n : y;
        });
        expect(run.outputs[k].y).toEqual(want);
      });
    }
    expect(() => m.stimulus(loadDesign('int8'), { acc: 4 }, bound, 1, 5, [1, 1])).toThrow('model requantizer on design int8 (requant.mode double) needs the multiplier operand bound to a port');
  });
});

describe('comparing a run with the model', () => {
  // one input stream, one output stream (outputs[0] with one 8-bit field), model outputs 10, 20 for inputs 0, 1
  const r = resolveBinding(
    parseBinding({
      model: 'mac_pe', clock: 'clk', reset: { port: 'rst', active: 'high' },
      inputs: [{ valid: 'v', ready: 'rd', fields: { a: 'a', w: 'w' } }],
      outputs: [{ valid: 'ov', ready: 'ord', fields: { acc: 'y' } }],
      timing: { mode: 'cycle', latency: 2 },
    }),
    { ...loadDesign('int8'), accumulator: { bits: 8, overflow: 'WRAP' } },
    [
      { name: 'clk', dir: 'in', width: 1 }, { name: 'rst', dir: 'in', width: 1 }, { name: 'v', dir: 'in', width: 1 }, { name: 'rd', dir: 'out', width: 1 },
      { name: 'a', dir: 'in', width: 8 }, { name: 'w', dir: 'in', width: 8 }, { name: 'ov', dir: 'out', width: 1 }, { name: 'ord', dir: 'in', width: 1 },
      { name: 'y', dir: 'out', width: 8 },
    ],
    't',
  );
  const run = { outputs: [{ acc: [10n] }, { acc: [20n] }], from: [0, 1], to: [0, 1] };
  const inputs: Txn[] = [{ a: [1n], w: [10n] }, { a: [2n], w: [10n] }];
  /** ctrl word: in valid+accepted (bits 0, 8), out ready (16), out valid (24) */
  const log = (rows: [number, boolean, boolean, number][]): CycleLog => ({
    cycles: rows.length,
    ctrl: Uint32Array.from(rows.map(([acc, ov]) => ((acc ? 0x101 : 0) | 0x10000 | (ov ? 0x1000000 : 0)) >>> 0)),
    values: (c) => [BigInt(rows[c][3])],
  });
  const cycle = r;
  const txn = { ...r, binding: { ...r.binding, timing: { mode: 'transaction' as const } } };

  it('cycle mode: right values in the due cycles match; one cycle late is reported as late', () => {
    const ok = log([[1, false, false, 0], [1, false, false, 0], [0, true, false, 10], [0, true, false, 20], [0, false, false, 0]]);
    const c = compareBound(cycle, run, inputs, ok);
    expect(c.first).toBeUndefined();
    expect(c.stats.latency).toEqual({ min: 2, median: 2, max: 2, count: 2 });
    const late = log([[1, false, false, 0], [1, false, false, 0], [0, false, false, 0], [0, true, false, 10], [0, true, false, 20]]);
    expect(compareBound(cycle, run, inputs, late).first).toMatchObject({ kind: 'late', txn: 0, cycle: 2, dueCycle: 2 });
    // transaction mode accepts the late run and measures latency 3
    const t = compareBound(txn, run, inputs, late);
    expect(t.first).toBeUndefined();
    expect(t.stats.latency).toEqual({ min: 3, median: 3, max: 3, count: 2 });
  });

  it('cycle mode: output transactions of one input (an accelerator\'s beats) are due one per cycle after it', () => {
    const beats = { outputs: [{ acc: [10n] }, { acc: [20n] }], from: [0, 0], to: [1, 1] };
    const ok = log([[1, false, false, 0], [1, false, false, 0], [0, false, false, 0], [0, true, false, 10], [0, true, false, 20], [0, false, false, 0]]);
    expect(compareBound(cycle, beats, inputs, ok).first).toBeUndefined();
    const gap = log([[1, false, false, 0], [1, false, false, 0], [0, false, false, 0], [0, true, false, 10], [0, false, false, 0], [0, true, false, 20]]);
    expect(compareBound(cycle, beats, inputs, gap).first).toMatchObject({ kind: 'late', txn: 1, cycle: 4, dueCycle: 4 });
  });

  it('transaction mode: a wrong value, a missing and an extra transaction', () => {
    const wrong = log([[1, false, false, 0], [1, false, false, 0], [0, true, false, 10], [0, true, false, 21]]);
    expect(compareBound(txn, run, inputs, wrong).first).toMatchObject({ kind: 'value', txn: 1, cycle: 3, lane: 0, expected: 20n, actual: 21n });
    const missing = log([[1, false, false, 0], [1, false, false, 0], [0, true, false, 10], [0, false, false, 0]]);
    expect(compareBound(txn, run, inputs, missing).first).toMatchObject({ kind: 'missing', txn: 1 });
    const extra = log([[1, false, false, 0], [1, false, false, 0], [0, true, false, 10], [0, true, false, 20], [0, true, false, 5]]);
    expect(compareBound(txn, run, inputs, extra).first).toMatchObject({ kind: 'unexpected', txn: 2, cycle: 4 });
  });
});

describe('unit bindings (a registered unit under the user\'s port names)', () => {
  const json = JSON.parse(readFileSync('test/rtl/fixtures/bind_unit/bind.json', 'utf8')) as Record<string, any>;
  const array = UNITS.find((u) => u.name === 'mac_array')!;
  const design = array.designs().find((d) => d.label === 'os-3x5-int8')!.design;
  const unitPorts = array.ports(design);
  // pe_grid's ports for Rows 3, Cols 5, int8, 32-bit accumulators
  const user: RtlPort[] = [
    { name: 'clock', dir: 'in', width: 1 }, { name: 'reset', dir: 'in', width: 1 }, { name: 'row_valid', dir: 'in', width: 1 },
    { name: 'row_data', dir: 'in', width: 24 }, { name: 'col_valid', dir: 'in', width: 1 }, { name: 'col_data', dir: 'in', width: 40 },
    { name: 'row_last', dir: 'in', width: 1 }, { name: 'load_tag', dir: 'in', width: 2 }, { name: 'psum_in', dir: 'in', width: 160 },
    { name: 'debug_en', dir: 'in', width: 1 }, { name: 'out_valid', dir: 'out', width: 1 }, { name: 'out_data', dir: 'out', width: 160 },
  ];
  const wrap = (j: Record<string, any>, ports = user): string => unitWrapper(parseUnitBinding(j, 'u.json'), unitPorts, ports, 'pe_grid', { Rows: '3' });

  it('generates a wrapper with the unit\'s ports: reset inverted, lanes reordered, constants tied', () => {
    const text = wrap(json);
    expect(text).toContain('  input  logic [23:0] h_i,');
    expect(text).toContain('  output logic [159:0] y_o\n);');
    expect(text).toContain('  pe_grid #(.Rows(3)) u_dut (');
    expect(text).toContain('    .reset(!rst_ni)');
    expect(text).toContain('    .row_data({<<8{h_i}})');
    expect(text).toContain('    .col_data(v_i)');
    expect(text).toContain('  assign y_o = {<<32{y_o_w}};');
    expect(text).toContain("    .debug_en(1'h0)");
  });

  it('errors name the field, the unit port and the RTL port', () => {
    const msg = (patch: (j: Record<string, any>) => void, ports = user): string => {
      const j = structuredClone(json);
      patch(j);
      return inputErrorMessage(() => wrap(j, ports));
    };
    expect(msg((j) => delete j.ports.tag_i)).toBe('u.json: ports: unit mac_array port tag_i (input, 2 bits on this design) is not mapped to a port of pe_grid');
    expect(msg((j) => (j.ports.v_i = 'col_dat'))).toBe('u.json: ports.v_i (port col_dat): RTL port col_dat is not a port of pe_grid; did you mean col_data? (its ports: clock, reset, row_valid, row_data, col_valid, col_data, row_last, load_tag, psum_in, debug_en, out_valid, out_data)');
    expect(msg(() => undefined, user.map((p) => (p.name === 'col_data' ? { ...p, width: 32 } : p)))).toBe('u.json: ports.v_i (port col_data): RTL port col_data is 32 bits wide; expected 40');
    expect(msg((j) => (j.ports.h_in = j.ports.h_i))).toMatch(/^u\.json: ports\.h_in: unit mac_array has no port h_in; did you mean h_i\?/);
    expect(msg((j) => delete j.constants)).toBe('u.json: constants: RTL input port debug_en (1 bits) of pe_grid is not mapped; map it in "ports" or tie it off in "constants": {"debug_en": 0}');
    expect(inputErrorMessage(() => parseUnitBinding({ ...json, unit: 'mac_arr' }, 'u.json'))).toBe('u.json: unit: got "mac_arr"; allowed: mac_pe, mac_pe_shift, mac_array, requantizer, xnor_popcount, conv_window, max_pool, accel_top');
    expect(inputErrorMessage(() => parseUnitBinding({ ...json, ports: { h_i: { port: 'row_data', order: 'msb-first' } } }, 'u.json'))).toBe('u.json: ports.h_i.laneBits (port row_data): msb-first needs the lane width to reorder the lanes');
    // a shallower pipeline is a negative latency; the bound is the same both ways
    expect(parseUnitBinding({ ...json, latency: -3 }, 'u.json').latency).toBe(-3);
    expect(inputErrorMessage(() => parseUnitBinding({ ...json, latency: -1001 }, 'u.json'))).toBe('u.json: latency: got -1001; allowed: an integer -1000..1000');
  });
});

describe('--vectors files (src/rtl/bind/vectors.ts) and the reproducer\'s JSON', () => {
  const d = loadDesign('int8');
  const r = resolveBinding(loadBinding(INT8), d, DOT8, 'dot8_core');
  const dir = mkdtempSync(join(tmpdir(), 'lowbit-vectors-'));
  it('the reproducer JSON reads back as the same transactions; .npy rows are the operands lane by lane', () => {
    const ins = BIND_MODEL_TABLE.mac_pe.stimulus(d, r.lanes, r.bound, 3, 50, [1, 4]);
    writeVectorsJson(join(dir, 'v.json'), ins);
    expect(readVectors(join(dir, 'v.json'), r)).toEqual(ins);
    // columns: a (8 lanes), w (8 lanes), last (1): the binding's field order
    const rows = ins.length;
    const data = new Int16Array(rows * 17);
    ins.forEach((t, i) => [...t.a, ...t.w, ...t.last].forEach((v, c) => (data[i * 17 + c] = Number(v))));
    writeNpy(join(dir, 'v.npy'), { data, shape: [rows, 17] });
    expect(readVectors(join(dir, 'v.npy'), r)).toEqual(ins);
  });

  it('a bad file is one line naming the file, the transaction and the operand', () => {
    const bad = (name: string, text: string): string => {
      writeFileSync(join(dir, name), text);
      return inputErrorMessage(() => readVectors(join(dir, name), r));
    };
    const ok = { a: [1, 2, 3, 4, 5, 6, 7, 8], w: [0, 0, 0, 0, 0, 0, 0, 0], last: [1] };
    expect(bad('range.json', JSON.stringify([ok, { ...ok, a: [128, 0, 0, 0, 0, 0, 0, 0] }]))).toBe(`${join(dir, 'range.json')}: transaction 1, operand a: value 128 is outside -128..127 (signed 8-bit lanes of port s_a)`);
    expect(bad('lanes.json', JSON.stringify([{ ...ok, w: [1] }]))).toBe(`${join(dir, 'lanes.json')}: transaction 0, operand w: expected an array of 8 lane values`);
    expect(bad('name.json', JSON.stringify([{ ...ok, acc: [1] }]))).toBe(`${join(dir, 'name.json')}: transaction 0: acc is not a bound input operand (bound: a, w, last)`);
    expect(bad('empty.json', '[]')).toMatch(/: expected a non-empty JSON array of transactions/);
    writeNpy(join(dir, 'shape.npy'), { data: new Int32Array(16), shape: [1, 16] });
    expect(inputErrorMessage(() => readVectors(join(dir, 'shape.npy'), r))).toBe(`${join(dir, 'shape.npy')}: expected a 2-D integer array of shape (transactions, 17) (a: 8, w: 8, last: 1); got int32 (1, 16)`);
  });
});
