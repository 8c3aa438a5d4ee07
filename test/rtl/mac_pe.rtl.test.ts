import { describe, it, expect } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyJob } from '../../src/rtl/verify.js';
import { macPeUnit } from '../../src/rtl/units/mac_pe.js';
import { testSeed } from '../../src/util/rng.js';

// hdl/mac_pe.sv against src/hw/mac_pe.ts through Verilator: every output every cycle plus acc_q and s_q
// through the VCD, on every dataflow and the edge widths (operands 1 bipolar/unsigned, 2, 7, 8, 16;
// accumulators 2, 16, 31, 32, 33, 63, 64; WRAP and SAT).
const seed = testSeed(4242);
const tmp = mkdtempSync(join(tmpdir(), 'lowbit-mac-pe-'));
console.log(`mac_pe.rtl.test seed ${seed} (LOWBIT_SEED=${seed} reproduces)`);

// The RTL tier checks these 4 of the unit's 8 designs (each is a separate Verilator build;
// test/slow/rtl_designs.test.ts and `lowbit verify --unit mac_pe` run all 8): every dataflow, operands 1
// (bipolar and unsigned), 2, 7, 16 bits, accumulators 2, 31, 33, 64 bits, WRAP and SAT.
const TESTED = new Set(['os-w1a2-acc2-sat', 'is-w16a7u-acc33-sat', 'ws-w2a1u-acc31-wrap', 'os-w16a16-acc64-sat']);

describe('mac_pe RTL co-simulation', () => {
  for (const { label, design } of macPeUnit.designs().filter((d) => TESTED.has(d.label))) {
    it(`matches the TS model: ${label}`, async () => {
      const r = await verifyJob({ unit: 'src/rtl/units/mac_pe.ts', label, design, seed, cases: 2000, vcdDir: join(tmp, 'vcd') });
      if (!r.ok) console.log(r.report);
      expect(r.ok).toBe(true);
      expect(r.tracedRegisters).toBe(2);
      expect(r.cycles).toBeGreaterThan(2000);
    });
  }
});
