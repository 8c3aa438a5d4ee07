import { describe, it, expect } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyJob } from '../../src/rtl/verify.js';
import { macPeShiftUnit } from '../../src/rtl/units/mac_pe_shift.js';
import { macArrayUnit } from '../../src/rtl/units/mac_array.js';
import { Rng, testSeed } from '../../src/util/rng.js';
import { compileModel } from '../../src/hw/accel_compile.js';
import { PRESETS } from '../../src/hw/presets.js';
import type { Design } from '../../src/hw/design.js';
import { integerInference } from '../../src/model/infer.js';
import { cosimAccelerator } from '../../src/rtl/accel_top.js';
import { inputsFor } from '../unit/fixtures/accel_models.js';
import { dense, pow2Mlp } from '../unit/fixtures/pow2_models.js';

// The multiplier-free PE (hdl/mac_pe.sv with WShift = 1: power-of-two weight codes, product by shift and
// add/subtract) against MacPe with peRule through Verilator: every output every cycle plus acc_q and s_q
// through the VCD; one mac_array of shift PEs on whole GEMMs; the whole accelerator with shift PEs.
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

  it('the whole accelerator with shift PEs: RTL == TS model == integer reference, a non-power-of-two layer on the bit-serial engine', async () => {
    const d: Design = { ...structuredClone(PRESETS.tiny), name: 'tiny-shift' };
    d.array.pe = 'shift';
    const rng = new Rng(seed);
    const m = pow2Mlp(rng);
    dense(m)[1].weight.data[0] = 3; // no code: that layer runs bit-serially
    const p = compileModel(m, d);
    expect(p.layers.map((l) => l.engine)).toEqual(['mac', 'serial', 'mac']);
    const x = inputsFor(rng, m, 3);
    const ref = integerInference(m, x).output;
    const res = await cosimAccelerator(p, x, 3, { capacity: { wDepth: 512, pDepth: 64, actWords: 32, outDepth: 32, layers: 4 } });
    expect(res.mismatch).toBeUndefined();
    expect(Array.from(res.model.outputs)).toEqual(Array.from(ref));
    expect(Array.from(res.outputs)).toEqual(Array.from(ref));
  }, 1_200_000);
});
