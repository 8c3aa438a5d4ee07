import { describe, it, expect } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyJob } from '../../src/rtl/verify.js';
import { macArrayUnit } from '../../src/rtl/units/mac_array.js';
import { testSeed } from '../../src/util/rng.js';

// hdl/mac_array.sv against src/hw/mac_array.ts through Verilator: whole GEMMs (directed K = 1, non-divisible
// shapes, accumulator overflow, corner operands, random shapes with controller stalls) back to back; y_o
// and y_valid_o compared every cycle, the corner PEs' accumulators through the VCD.
const seed = testSeed(777);
const tmp = mkdtempSync(join(tmpdir(), 'lowbit-mac-array-'));
console.log(`mac_array.rtl.test seed ${seed} (LOWBIT_SEED=${seed} reproduces)`);

// The RTL tier checks these 4 of the unit's 8 designs (each is a separate Verilator build;
// test/slow/rtl_designs.test.ts and `lowbit verify --unit mac_array` run all 8): os/ws/is on a non-power-of-two
// 3x5 array and a 1x1 array; bipolar 1-bit, 2-, 7-, 8- and 16-bit operands; 2/16/32/33-bit accumulators,
// WRAP and SAT. The 64-bit accumulator runs in mac_pe.rtl.test.ts (os-w16a16-acc64-sat), the 4x1 array in the
// slow tier.
const TESTED = new Set(['os-3x5-int8', 'ws-3x5-w8a8-acc16-sat', 'is-3x5-w16a7u-acc33-sat', 'os-1x1-w1a2-acc2-sat']);

describe('mac_array RTL co-simulation', () => {
  for (const { label, design } of macArrayUnit.designs().filter((d) => TESTED.has(d.label))) {
    it(`matches the TS model: ${label}`, async () => {
      const r = await verifyJob({ unit: 'src/rtl/units/mac_array.ts', label, design, seed, cases: 2000, vcdDir: join(tmp, 'vcd') });
      if (!r.ok) console.log(r.report);
      expect(r.ok).toBe(true);
      expect(r.tracedRegisters).toBeGreaterThanOrEqual(2);
    });
  }
});
