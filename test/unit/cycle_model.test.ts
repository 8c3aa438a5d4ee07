import { describe, it, expect } from 'vitest';
import type { CycleModel } from '../../src/hw/cycle_model.js';
import { MacPe, type MacPeInputs } from '../../src/hw/mac_pe.js';
import { numberAccRule } from '../../src/hw/mac_rule.js';
import { MacArray, type MacArrayInputs } from '../../src/hw/mac_array.js';
import { PRESETS } from '../../src/hw/presets.js';

/** The harness protocol over any unit model: out[t] = outputs(); step(in[t]). */
function run<I, O>(m: CycleModel<I, O>, stim: I[]): O[] {
  return stim.map((i) => {
    const o = m.outputs();
    m.step(i);
    return o;
  });
}

describe('one shape for cycle models (src/hw/cycle_model.ts)', () => {
  it('mac_pe: outputs() are its registers, one cycle after the inputs', () => {
    const pe = new MacPe('os', numberAccRule(32, 'WRAP'));
    const beat = (h: number, v: number, last = false): MacPeInputs<number> => ({ h, hValid: true, v, vValid: true, last, tag: 0, shift: false, ps: 0 });
    const out = run(pe, [beat(3, 4), beat(-2, 5, true), { ...beat(0, 0), hValid: false, vValid: false }]);
    expect(out.map((o) => o.acc)).toEqual([0, 12, 2]);
    expect(out.map((o) => o.h)).toEqual([0, 3, -2]);
    expect(out.map((o) => o.last)).toEqual([false, false, true]);
    expect(pe.outputs()).toEqual({ hValid: false, h: -2, vValid: false, v: 5, last: false, tag: 0, acc: 2 });
  });

  it('mac_array: outputs() equal yValid() and y(c) every cycle of a 1x2 os GEMM', () => {
    const d = { ...structuredClone(PRESETS.tiny), array: { rows: 1, cols: 2, dataflow: 'os' as const } };
    const arr = new MacArray<number>(d);
    const idle: MacArrayInputs<number> = { hValid: false, h: new Int32Array(1), vValid: false, v: new Int32Array(2), last: false, tag: 0, ps: [0, 0] };
    const beat = (x: number, w0: number, w1: number, last: boolean): MacArrayInputs<number> =>
      ({ hValid: true, h: Int32Array.of(x), vValid: true, v: Int32Array.of(w0, w1), last, tag: 0, ps: [0, 0] });
    const stim = [beat(2, 3, -1, false), beat(1, 4, 5, true), ...Array.from({ length: 8 }, () => idle)];
    const seen: { yValid: boolean; y: number[] }[] = [];
    for (const i of stim) {
      const o = arr.outputs();
      expect(o).toEqual({ yValid: arr.yValid(), y: [arr.y(0), arr.y(1)] });
      seen.push(o);
      arr.step(i);
    }
    // y = [2*3 + 1*4, 2*(-1) + 1*5] leaves once, lane 1 one cycle after lane 0 is deskewed into place
    const valid = seen.filter((o) => o.yValid);
    expect(valid.length).toBe(1);
    expect(valid[0].y).toEqual([10, 3]);
  });
});
