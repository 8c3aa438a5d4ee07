import { describe, it, expect } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyJob } from '../../src/rtl/verify.js';
import { macPeShiftUnit } from '../../src/rtl/units/mac_pe_shift.js';
import { macArrayUnit } from '../../src/rtl/units/mac_array.js';
import { testSeed } from '../../src/util/rng.js';

// The multiplier-free PE (hdl/mac_pe.sv with WShift = 1: power-of-two weight codes, product by shift and
// add/subtract) against MacPe with peRule through Verilator: every output every cycle plus acc_q and s_q
// through the VCD; and one mac_array of shift PEs on whole GEMMs.
const seed = testSeed(2044);
const tmp = mkdtempSync(join(tmpdir(), 'lowbit-mac-pe-shift-'));
console.log(`mac_pe_shift.rtl.test seed ${seed} (LOWBIT_SEED=${seed} reproduces)`);

// The RTL tier checks these 3 of the unit's 6 designs (each a Verilator build; `lowbit verify --unit
// mac_pe_shift` and test/slow/rtl_designs.test.ts run all 6): os/ws/is, exponent bits 0 (ternary w2 and
// bipolar w1: add/subtract only) and 4 (w16), bipolar/8/16-bit activations, accumulators 2, 16, 64, SAT.
const TESTED = new Set(['ws-w2a8-acc16-sat', 'is-w16a16-acc64-sat', 'os-w1a1-acc2-sat']);

describe('mac_pe_shift RTL co-simulation', () => {
  for (const { label, design } of macPeShiftUnit.designs().filter((d) => TESTED.has(d.label))) {
    it(`matches the TS model: ${label}`, async () => {
      const r = await verifyJob({ unit: 'src/rtl/units/mac_pe_shift.ts', label, design, seed, cases: 2000, vcdDir: join(tmp, 'vcd') });
      if (!r.ok) console.log(r.report);
      expect(r.ok).toBe(true);
      expect(r.tracedRegisters).toBe(2);
      expect(r.cycles).toBeGreaterThan(2000);
    });
  }

  const arrayLabel = 'os-3x2-shift-w8a4u-acc32-wrap';
  it(`a mac_array of shift PEs matches the TS array model: ${arrayLabel}`, async () => {
    const { design } = macArrayUnit.designs().find((d) => d.label === arrayLabel)!;
    const r = await verifyJob({ unit: 'src/rtl/units/mac_array.ts', label: arrayLabel, design, seed, cases: 1000, vcdDir: join(tmp, 'vcd') });
    if (!r.ok) console.log(r.report);
    expect(r.ok).toBe(true);
    expect(r.tracedRegisters).toBeGreaterThanOrEqual(2);
  });
});
