import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { areaUnits, edgeFlipFlops, estimateArea } from '../../src/estimate/area.js';
import { PRESETS } from '../../src/hw/presets.js';
import { synthesize } from '../../src/synth/yosys.js';
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
    const u = areaUnits(d);
    expect(u.map((x) => [x.top, x.count])).toEqual([['mac_pe', 4], ['requantizer', 2], ['xnor_popcount', 1]]);
    expect(u[0].parameters).toEqual({ WBits: 1, ABits: 1, WSigned: 1, ASigned: 1, AccBits: 16, AccSat: 1, Dataflow: 0, TagBits: 1, WShift: 0, WExpBits: 0 });
    expect(u[1].parameters).toMatchObject({ AccBits: 32, Channels: 1, Mode: 2, OutBits: 32 });
    expect(u[2].parameters).toEqual({ Lanes: 16, AccBits: 16, Thresholds: 1, Channels: 1 });
    // hand-computed: left skew 1 x (2+1), top skew 1 x (2+2+1), deskew 1 x 16, drain 2 x (1+16+1)
    expect(edgeFlipFlops(d)).toBe(3 + 5 + 16 + 36);
  });

  it('synthesizes, composes the totals and caches', () => {
    const a = estimateArea(d);
    if ('skipped' in a) throw new Error(`yosys is installed in CI; got ${a.skipped}`);
    const [pe, rq, xn] = a.components;
    expect(a.gates).toBe(4 * pe.gates + 2 * rq.gates + xn.gates + 60);
    expect(a.flipFlops).toBe(4 * pe.flipFlops + 2 * rq.flipFlops + xn.flipFlops + 60);
    expect(a.luts).toBe(4 * pe.luts + 2 * rq.luts + xn.luts);
    expect(pe.flipFlops).toBeGreaterThanOrEqual(16); // at least the accumulator register
    // cells by type add up to the gate count
    for (const c of a.components) expect(Object.values(c.cells).reduce((x, y) => x + y, 0)).toBe(c.gates);
    // a wider XNOR unit costs more LUTs; the second call of the same Design comes from the cache
    const wide = structuredClone(d);
    wide.xnor.bitsPerCycle = 64;
    const b = estimateArea(wide);
    if ('skipped' in b) throw new Error(b.skipped);
    expect(b.components[2].luts).toBeGreaterThan(xn.luts);
    expect(estimateArea(d)).toEqual(a);
  }, 300_000); // ~8 s on an idle machine; Yosys on a loaded 2-core machine took 70 s

  it('the multiplier-free (shift) PE is smaller than the multiplier PE at the same widths', () => {
    // int8 preset PE (w8a8, 32-bit WRAP accumulator) and a ternary w2a8 PE: multiplier vs shift datapath
    const rows: string[] = [];
    for (const w of [{ bits: 8, signed: true }, { bits: 2, signed: true }]) {
      const gates: Record<string, number> = {};
      for (const pe of ['multiplier', 'shift'] as const) {
        const dd: Design = structuredClone(PRESETS.int8);
        dd.array = { rows: 2, cols: 2, dataflow: 'os', pe };
        dd.weight = w;
        const u = areaUnits(dd)[0];
        expect(u.parameters).toMatchObject(pe === 'shift' ? { WShift: 1, WExpBits: w.bits === 8 ? 3 : 0 } : { WShift: 0 });
        const r = synthesize(u.files, u.top, u.parameters);
        gates[pe] = r.gateCount;
        rows.push(`w${w.bits}a8 acc32 ${pe}: ${r.gateCount} gates, ${r.flipFlops} FFs, ${r.luts} LUTs`);
      }
      expect(gates.shift).toBeLessThan(gates.multiplier);
    }
    console.log(rows.join('\n'));
  }, 600_000);

  it('reports "skipped" with the install hint when yosys is absent', () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      expect(estimateArea(d)).toEqual({ skipped: 'yosys not found (apt-get install -y yosys)' });
    } finally {
      process.env.PATH = path;
    }
  });
});
