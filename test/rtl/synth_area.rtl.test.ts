import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { intFormat } from '../../src/arith/format.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { areaUnits, edgeFlipFlops, estimateArea } from '../../src/estimate/area.js';
import { synthesize, yosysVersion } from '../../src/synth/yosys.js';
import { PRESETS } from '../../src/hw/presets.js';
import { estimateModelDir } from '../../src/cli/commands/estimate_model.js';
import type { Design } from '../../src/hw/design.js';

// binary preset on a 2x2 array with 16 XNOR lanes: every unit synthesizes in seconds (shift requantizer)
const d: Design = structuredClone(PRESETS.binary);
d.array.rows = 2;
d.array.cols = 2;
d.xnor.bitsPerCycle = 16;

describe('area from Yosys', () => {
  // a private cache for these tests, restored afterwards so later files in this worker keep the shared one
  const savedCache = process.env.LOWBIT_CACHE;
  beforeAll(() => {
    process.env.LOWBIT_CACHE = mkdtempSync(join(tmpdir(), 'lowbit-area-'));
  });
  afterAll(() => {
    if (savedCache === undefined) delete process.env.LOWBIT_CACHE;
    else process.env.LOWBIT_CACHE = savedCache;
  });

  it('maps the Design to the units accel_top instantiates', () => {
    const u = areaUnits(d, true);
    expect(u.map((x) => [x.top, x.count])).toEqual([['mac_pe', 4], ['requantizer', 2], ['xnor_popcount', 1], ['conv_window', 1], ['max_pool', 1]]);
    expect(u[0].parameters).toEqual({ WBits: 1, ABits: 1, WSigned: 1, ASigned: 1, AccBits: 16, AccSat: 1, Dataflow: 0, TagBits: 1, WShift: 0, WExpBits: 0 });
    expect(u[1].parameters).toMatchObject({ AccBits: 32, Channels: 1, Mode: 2, OutBits: 32 });
    expect(u[2].parameters).toEqual({ Lanes: 16, AccBits: 16, Thresholds: 1, Channels: 1 });
    // ±1 activations sit in 2-bit slots; pooling windows up to 3 x 3
    expect(u[3].parameters).toEqual({ Rows: 2, Lanes: 16, HBits: 2, PoolMax: 3 });
    expect(u[4].parameters).toEqual({ HBits: 2, Signed: 1, PoolMax: 3 });
    // hand-computed: left skew 1 x (2+1), top skew 1 x (2+2+1), deskew 1 x 16, drain 2 x (1+16+1)
    expect(edgeFlipFlops(d)).toBe(3 + 5 + 16 + 36);
  });

  it('synthesizes the units (the window generator: the slow tier), and a wider unit costs more', () => {
    if (!yosysVersion()) throw new Error('yosys is installed in CI');
    const u = areaUnits(d, true);
    const syn = (x: (typeof u)[number]) => synthesize(x.files, x.top, x.parameters);
    const [pe, rq, xn, pool] = [syn(u[0]), syn(u[1]), syn(u[2]), syn(u[4])];
    expect(pe.flipFlops).toBeGreaterThanOrEqual(16); // at least the accumulator register
    expect(rq.gateCount).toBeGreaterThan(0);
    // the pooling unit is combinational
    expect(pool.flipFlops).toBe(0);
    // cells by type add up to the gate count
    for (const r of [pe, rq, xn, pool]) expect(Object.values(r.gates).reduce((x, y) => x + y, 0)).toBe(r.gateCount);
    // a wider XNOR unit costs more LUTs, a pooling unit over 8-bit slots more gates and LUTs than over
    // 2-bit ones
    const wide = structuredClone(d);
    wide.xnor.bitsPerCycle = 64;
    expect(syn(areaUnits(wide, true)[2]).luts).toBeGreaterThan(xn.luts);
    const int8 = structuredClone(d);
    int8.activation = intFormat(8, true);
    const p8 = areaUnits(int8, true)[4];
    expect(p8.parameters).toEqual({ HBits: 8, Signed: 1, PoolMax: 3 });
    const pool8 = syn(p8);
    expect(pool8.gateCount).toBeGreaterThan(pool.gateCount);
    expect(pool8.luts).toBeGreaterThan(pool.luts);
  }, 300_000); // ~8 s on an idle machine; Yosys on a loaded 2-core machine took 70 s

  it('the multiplier-free (shift) PE is smaller than the multiplier PE at the same widths', () => {
    // int8 preset PE (w8a8, 32-bit WRAP accumulator) and a ternary w2a8 PE: multiplier vs shift datapath
    const rows: string[] = [];
    for (const bits of [8, 2]) {
      const w = intFormat(bits, true);
      const gates: Record<string, number> = {};
      for (const pe of ['multiplier', 'shift'] as const) {
        const dd: Design = structuredClone(PRESETS.int8);
        dd.array = { rows: 2, cols: 2, dataflow: 'os', pe };
        dd.weight = w;
        const u = areaUnits(dd, true)[0];
        expect(u.parameters).toMatchObject(pe === 'shift' ? { WShift: 1, WExpBits: bits === 8 ? 3 : 0 } : { WShift: 0 });
        const r = synthesize(u.files, u.top, u.parameters);
        gates[pe] = r.gateCount;
        rows.push(`w${bits}a8 acc32 ${pe}: ${r.gateCount} gates, ${r.flipFlops} FFs, ${r.luts} LUTs`);
      }
      expect(gates.shift).toBeLessThan(gates.multiplier);
    }
    console.log(rows.join('\n'));
  }, 600_000);

  it('an MLP estimate (lowbit estimate --model) synthesizes no window generator or pooling unit', () => {
    const r = estimateModelDir('sfc-w1a1', PRESETS['binary-mnist'], { area: true, batch: 1 });
    const a = r.area;
    if ('skipped' in a) throw new Error(`yosys is needed; got ${a.skipped}`);
    expect(a.components.map((c) => c.top)).toEqual(['mac_pe', 'requantizer', 'xnor_popcount']);
    const comps = a.components;
    const tot = (f: (c: (typeof comps)[number]) => number): number => comps.reduce((x, c) => x + c.count * f(c), 0);
    expect(a.gates).toBe(tot((c) => c.gates) + a.edgeFlipFlops);
    expect(a.luts).toBe(tot((c) => c.luts));
  }, 300_000);

  it('reports "skipped" with the install hint when yosys is absent', () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      expect(estimateArea(d, true)).toEqual({ skipped: 'yosys not found (apt-get install -y yosys)' });
    } finally {
      process.env.PATH = path;
    }
  });
});
