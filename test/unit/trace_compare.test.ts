import { describe, it, expect } from 'vitest';
import { compareOutputs, compareTrace, formatValue, sampleTimeNs } from '../../src/rtl/compare.js';
import { formatReport } from '../../src/rtl/report.js';
import { reproduceCommand, type VerifyResult } from '../../src/rtl/verify.js';
import type { PortSpec } from '../../src/rtl/unit.js';
import type { VcdData } from '../../src/rtl/vcd.js';
import { InputError } from '../../src/util/errors.js';

const outs: PortSpec[] = [
  { name: 'acc_o', dir: 'out', width: 8, signed: true },
  { name: 'valid_o', dir: 'out', width: 1 },
];

describe('compareOutputs', () => {
  it('accepts signed or unsigned model values and finds the first mismatching cycle and port', () => {
    const expected = [[0n, 0n], [-1n, 1n], [5n, 0n], [-128n, 1n]];
    const same = compareOutputs('u', outs, expected, [[0n, 0n], [255n, 1n], [5n, 0n], [128n, 1n]]);
    expect(same.first).toBeUndefined();
    const diff = compareOutputs('u', outs, expected, [[0n, 0n], [255n, 1n], [5n, 1n], [127n, 1n]]);
    expect(diff.first).toEqual({ kind: 'output', cycle: 2, signal: 'valid_o', width: 1, signed: false, expected: 0n, actual: 1n });
    expect(diff.outputCycles).toBe(2);
  });

  it('rejects model values that do not fit their port, and a wrong number of cycles', () => {
    expect(() => compareOutputs('u', outs, [[256n, 0n]], [[0n, 0n]])).toThrow(/u: model output acc_o in cycle 0: value 256 does not fit a 8-bit port/);
    expect(() => compareOutputs('u', outs, [[-129n, 0n]], [[0n, 0n]])).toThrow(InputError);
    expect(() => compareOutputs('u', outs, [[0n, 0n]], [[0n, 0n], [0n, 0n]])).toThrow(/1 output cycles for 2 stimulus cycles/);
  });
});

function vcdWith(changes: [number, bigint, bigint][], timescale = 1e-9): VcdData {
  return {
    file: 't.vcd', timescale, endTime: 1000,
    signals: new Map([['TOP.top.cnt_q', { path: 'TOP.top.cnt_q', width: 4, id: '#' }]]),
    tracks: new Map([['#', { times: changes.map((c) => c[0]), values: changes.map((c) => c[1]), masks: changes.map((c) => c[2]) }]]),
  };
}

describe('compareTrace', () => {
  const spec = [{ vcd: 'cnt_q', model: 'cnt' }];
  it('samples cycle t at 10*(t+2) ns (after the rising edge of cycle t-1) in any timescale', () => {
    expect(sampleTimeNs(0)).toBe(20);
    // register changes at rising edges 25, 35, 45 (cycles 0, 1, 2 edges)
    const ns = vcdWith([[0, 0n, 0n], [25, 1n, 0n], [35, 2n, 0n], [45, 3n, 0n]]);
    expect(compareTrace('u', 'top', spec, { cnt: [0n, 1n, 2n, 3n] }, ns, 4).first).toBeUndefined();
    const ps = vcdWith([[0, 0n, 0n], [25000, 1n, 0n], [35000, 2n, 0n], [45000, 3n, 0n]], 1e-12);
    expect(compareTrace('u', 'top', spec, { cnt: [0n, 1n, 2n, 3n] }, ps, 4).first).toBeUndefined();
    const bad = compareTrace('u', 'top', spec, { cnt: [0n, 1n, 3n, 3n] }, ns, 4);
    expect(bad.first).toMatchObject({ kind: 'trace', cycle: 2, signal: 'cnt_q (model: cnt)', expected: 3n, actual: 2n });
    expect(bad.badRegisters).toBe(1);
  });

  it('treats x/z as a mismatch and names missing trace keys and signals', () => {
    const x = vcdWith([[0, 0n, 1n]]);
    expect(compareTrace('u', 'top', spec, { cnt: [0n] }, x, 1).first).toMatchObject({ cycle: 0, actual: undefined });
    expect(() => compareTrace('u', 'top', spec, {}, x, 1)).toThrow(/u: traceSignals\(\) lists model key cnt but model\(\) returned no trace.cnt/);
    expect(() => compareTrace('u', 'top', [{ vcd: 'nope_q', model: 'cnt' }], { cnt: [0n] }, x, 1)).toThrow(/trace signal nope_q \(VCD path TOP.top.nope_q\)/);
  });
});

describe('mismatch report', () => {
  it('shows hex and decimal (and signed), the seed, the VCD and the reproduce command', () => {
    expect(formatValue(0x7fn, 8, true)).toBe('0x7f (127)');
    expect(formatValue(0x81n, 8, true)).toBe('0x81 (129; signed -127)');
    expect(formatValue(undefined, 8, true)).toBe('x (unknown / not driven)');
    const r: VerifyResult = {
      unit: 'mac_pe', label: 'int8', seed: 7, cases: 100, cycles: 300, ok: false,
      mismatch: { kind: 'output', cycle: 37, signal: 'acc_o', width: 8, signed: true, expected: 0x7fn, actual: 0x81n },
      outputCycles: 12, badRegisters: 1, tracedRegisters: 2, vcd: '/tmp/x.vcd',
      build: { cached: true, seconds: 0, hash: 'h', dir: 'd' }, simSeconds: 0, modelSeconds: 0,
      command: reproduceCommand({ unit: 'mac_pe', label: 'int8', seed: 7, cases: 100 }),
    };
    expect(formatReport(r)).toBe([
      'MISMATCH mac_pe, design int8, seed 7, 100 cases (300 cycles)',
      '  first mismatch: cycle 37, output acc_o (8 bits)',
      '    expected 0x7f (127)',
      '    actual   0x81 (129; signed -127)',
      '  mismatching: 12 of 300 cycles (outputs), 1 of 2 traced registers',
      '  waveform: /tmp/x.vcd (cycle t is sampled at 10*(t+2) ns)',
      '  reproduce: lowbit verify --unit mac_pe --design int8 --seed 7 --cases 100 --keep-vcd',
    ].join('\n'));
    expect(reproduceCommand({ unit: 'u', label: 'my design.json', seed: 1, cases: 2 })).toBe("lowbit verify --unit u --design 'my design.json' --seed 1 --cases 2 --keep-vcd");
  });
});
