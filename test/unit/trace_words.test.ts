import { describe, it, expect } from 'vitest';
import { compareOutputWords } from '../../src/rtl/compare.js';
import { portsHeader } from '../../src/rtl/harness.js';
import { compareTraceWords, tracedConfig, tracedWidths, tracedWords, verilatorName } from '../../src/rtl/trace_words.js';
import type { PortSpec } from '../../src/rtl/unit.js';
import { InputError, ToolError } from '../../src/util/errors.js';

const ROOT_HEADER = `
class alignas(VL_CACHE_LINE_BYTES) Vtop___024root final : public VerilatedModule {
    CData/*7:0*/ mac_pe__DOT__s_q;
    IData/*31:0*/ mac_pe__DOT__acc_q;
    QData/*32:0*/ mac_pe__DOT__wide_q;
    VlWide<3>/*79:0*/ mac_pe__DOT__g_row__BRA__1__KET____DOT__u_pe__DOT__x_q;
    CData/*4:1*/ mac_pe__DOT__off_q;
};`;

describe('Verilator names and widths of traced registers', () => {
  it('mangles dotted paths with generate indices as Verilator does', () => {
    expect(verilatorName('mac_pe', 'acc_q')).toBe('mac_pe__DOT__acc_q');
    expect(verilatorName('mac_pe', 'g_row[1].u_pe.x_q')).toBe('mac_pe__DOT__g_row__BRA__1__KET____DOT__u_pe__DOT__x_q');
    expect(() => verilatorName('t', 'a..b')).toThrow(InputError);
    expect(() => verilatorName('t', 'a b')).toThrow(/expected a dotted path of Verilog identifiers/);
  });

  it('marks each leaf name public once', () => {
    expect(tracedConfig(['acc_q', 'g[0].u.acc_q', 's_q'])).toBe('`verilator_config\npublic_flat_rd -module "*" -var "acc_q"\npublic_flat_rd -module "*" -var "s_q"\n');
  });

  it('reads the widths from the root class declarations and names a register Verilator did not keep', () => {
    const regs = tracedWidths('u', 'mac_pe', ['acc_q', 's_q', 'wide_q', 'g_row[1].u_pe.x_q', 'off_q'], ROOT_HEADER);
    expect(regs.map((r) => r.width)).toEqual([32, 8, 33, 80, 4]);
    expect(tracedWords(regs)).toBe(1 + 1 + 2 + 3 + 1);
    expect(() => tracedWidths('u', 'mac_pe', ['gone_q'], ROOT_HEADER)).toThrow(ToolError);
    expect(() => tracedWidths('u', 'mac_pe', ['acc'], ROOT_HEADER)).toThrow(/u: traced register acc \(C\+\+ mac_pe__DOT__acc\) is not a packed member/);
  });

  it('the port header copies the traced registers after the ports, and is unchanged without them', () => {
    const ports: PortSpec[] = [{ name: 'a_i', dir: 'in', width: 8 }, { name: 'acc_o', dir: 'out', width: 40 }];
    expect(portsHeader(ports)).toContain('#define LB_OUT_WORDS 2\n');
    expect(portsHeader(ports)).not.toContain('rootp');
    const h = portsHeader(ports, { top: 'mac_pe', paths: ['acc_q', 's_q'] });
    expect(h).toContain('#include "Vtop___024root.h"');
    expect(h).toContain('#define LB_OUT_WORDS (2 + (sizeof(Vtop___024root::mac_pe__DOT__acc_q) + 3) / 4 + (sizeof(Vtop___024root::mac_pe__DOT__s_q) + 3) / 4)');
    expect(h).toContain('lb_get(m->rootp->mac_pe__DOT__acc_q, w + 2);');
    expect(h).toContain('lb_get(m->rootp->mac_pe__DOT__s_q, w + 2 + (sizeof(m->rootp->mac_pe__DOT__acc_q) + 3) / 4);');
  });
});

describe('compareTraceWords', () => {
  const specs = [{ vcd: 'cnt_q', model: 'cnt' }, { vcd: 'w_q', model: 'w' }];
  const regs = [{ path: 'cnt_q', width: 4 }, { path: 'w_q', width: 40 }];
  // per cycle: cnt (1 word), w (2 words)
  const words = Uint32Array.from([0, 0, 0, 15, 0xffffffff, 0xff, 2, 5, 1]);

  it('accepts signed or unsigned model values (numbers or BigInt) and reports the lowest first bad cycle', () => {
    const ok = compareTraceWords('u', specs, regs, { cnt: [0, -1, 2], w: [0n, -1n, 0x1_00000005n] }, words, 3);
    expect(ok.first).toBeUndefined();
    expect(compareTraceWords('u', specs, regs, { cnt: [0, 15, 2], w: [0, -1, 0x1_00000005] }, words, 3).first).toBeUndefined();
    expect(compareTraceWords('u', specs, regs, { cnt: [0, 15, 2], w: [0, -2, 0x1_00000005] }, words, 3).first).toMatchObject({ cycle: 1, expected: 0xff_fffffffen, actual: 0xff_ffffffffn });
    expect(compareTraceWords('u', specs, regs, { cnt: [0, 15, 2], w: [0, -1, 0x2_00000005] }, words, 3).first).toMatchObject({ cycle: 2, expected: 0x2_00000005n, actual: 0x1_00000005n });
    // 64 bits, numbers: -2^40 - 3 and 2^52 + 1
    const w64 = Uint32Array.from([0xfffffffd, 0xfffffeff, 1, 0x100000]);
    const r64 = [{ path: 'w_q', width: 64 }];
    expect(compareTraceWords('u', [specs[1]], r64, { w: [-(2 ** 40) - 3, 2 ** 52 + 1] }, w64, 2).first).toBeUndefined();
    expect(compareTraceWords('u', [specs[1]], r64, { w: [-(2 ** 40) - 3, 2 ** 52 + 3] }, w64, 2).first).toMatchObject({ cycle: 1 });
    expect(ok.badRegisters).toBe(0);
    const bad = compareTraceWords('u', specs, regs, { cnt: [0, 15, 3], w: [0n, 0xff_fffffffen, 0x1_00000005n] }, words, 3);
    expect(bad.first).toEqual({ kind: 'trace', cycle: 1, signal: 'w_q (model: w)', width: 40, signed: false, expected: 0xff_fffffffen, actual: 0xff_ffffffffn });
    expect(bad.badRegisters).toBe(2);
  });

  it('rejects model values that do not fit, and missing or short traces', () => {
    expect(() => compareTraceWords('u', specs, regs, { cnt: [16, 0, 0], w: [0n, 0n, 0n] }, words, 3)).toThrow(/u: model trace.cnt in cycle 0: value 16 does not fit a 4-bit port/);
    expect(() => compareTraceWords('u', specs, regs, { cnt: [0, 0, 0] }, words, 3)).toThrow(/lists model key w but model\(\) returned no trace.w/);
    expect(() => compareTraceWords('u', specs, regs, { cnt: [0, 0], w: [0n, 0n] }, words, 3)).toThrow(/trace.cnt has 2 values; expected 3/);
  });

  it('reads the registers from the simulator\'s interleaved vectors (stride, base)', () => {
    // per cycle: 2 port words, cnt, w (2 words)
    const v = Uint32Array.from([7, 7, 0, 0, 0, 7, 7, 15, 0xffffffff, 0xff]);
    expect(compareTraceWords('u', specs, regs, { cnt: [0, -1], w: [0n, -1n] }, v, 2, 5, 2).first).toBeUndefined();
    expect(compareTraceWords('u', specs, regs, { cnt: [0, 14], w: [0n, -1n] }, v, 2, 5, 2).first).toMatchObject({ cycle: 1, signal: 'cnt_q (model: cnt)', expected: 14n, actual: 15n });
    expect(() => compareTraceWords('u', specs, regs, { cnt: [0, 0], w: [0n, 0n] }, v, 3, 5, 2)).toThrow(/10 words of traced registers for 3 cycles of 5 words/);
    // the outputs of the same vectors: the ports' words only
    const outs: PortSpec[] = [{ name: 'a_o', dir: 'out', width: 3 }, { name: 'b_o', dir: 'out', width: 3 }];
    expect(compareOutputWords('u', outs, Uint32Array.from([7, 7, 7, 7]), v, 2, 5).first).toBeUndefined();
    expect(compareOutputWords('u', outs, Uint32Array.from([7, 7, 7, 6]), v, 2, 5).first).toMatchObject({ kind: 'output', cycle: 1, signal: 'b_o', expected: 6n, actual: 7n });
  });
});
