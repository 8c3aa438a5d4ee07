import { describe, it, expect } from 'vitest';
import { estimateArea } from '../../src/estimate/area.js';
import { PRESETS } from '../../src/hw/presets.js';
import type { Design } from '../../src/hw/design.js';

/**
 * The whole accelerator's area as `lowbit estimate` composes it for a CNN, the sliding-window generator
 * and the pooling unit included (their address walk is adds only since session 9; with the former
 * multipliers Yosys took 31 min wall, now ~100 s at load ~15, whence still the slow tier). Uses the cache
 * of the environment (`$LOWBIT_CACHE`), like the CLI.
 */
const d: Design = structuredClone(PRESETS.binary);
d.array.rows = 2;
d.array.cols = 2;
d.xnor.bitsPerCycle = 16;

describe('area from Yosys, every unit', () => {
  it('composes the totals of every unit accel_top instantiates, and caches', () => {
    const a = estimateArea(d, true);
    if ('skipped' in a) throw new Error(`yosys is needed; got ${a.skipped}`);
    expect(a.components.map((c) => [c.top, c.count])).toEqual([['mac_pe', 4], ['requantizer', 2], ['xnor_popcount', 1], ['conv_window', 1], ['max_pool', 1]]);
    const [pe, rq, xn, win, pool] = a.components;
    // 60: the array's edge registers (test/rtl/synth_area.rtl.test.ts)
    expect(a.gates).toBe(4 * pe.gates + 2 * rq.gates + xn.gates + win.gates + pool.gates + 60);
    expect(a.flipFlops).toBe(4 * pe.flipFlops + 2 * rq.flipFlops + xn.flipFlops + win.flipFlops + pool.flipFlops + 60);
    expect(a.luts).toBe(4 * pe.luts + 2 * rq.luts + xn.luts + win.luts + pool.luts);
    // the window generator's registers: array row 0's window corner (ox, base 32-bit; iy, ix*C 34-bit),
    // the tile's first pixel and the patch counters ki, ki*W*C, kj*C, kc (the other rows are adds of row
    // 0's corner, no registers); the pooling unit is combinational
    expect(win.flipFlops).toBe(2 * 32 + 2 * 34 + 32 + 4 * 32);
    // no multiplier left: far below the 95,672 gates / 31,914 LUT6 of the multiply form (session 8)
    expect(win.gates).toBeLessThan(20_000);
    expect(pool.flipFlops).toBe(0);
    for (const c of a.components) expect(Object.values(c.cells).reduce((x, y) => x + y, 0)).toBe(c.gates);
    process.stderr.write(`[area] ${a.components.map((c) => `${c.count} x ${c.top}: ${c.gates} gates, ${c.flipFlops} FFs, ${c.luts} LUT6`).join('; ')}\n`);
    expect(estimateArea(d, true)).toEqual(a);
  });
});
