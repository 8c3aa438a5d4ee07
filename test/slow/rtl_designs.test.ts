import { describe, it, expect } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyJob } from '../../src/rtl/verify.js';
import { UNITS } from '../../src/rtl/units/index.js';
import { PRESETS } from '../../src/hw/presets.js';
import { testSeed } from '../../src/util/rng.js';

/**
 * Slow tier: every design of every registered unit (what `lowbit verify --all` runs), one Verilator build
 * each, outputs every cycle and the traced registers through the VCD. The CI tier (test/rtl/<unit>.rtl.test.ts)
 * checks a subset chosen to cover the corners (every dataflow, a 3x5 array, the edge widths); this runs the
 * rest as well. `npm run test:slow` (or `npx vitest run --project slow test/slow/rtl_designs.test.ts`).
 */
const seed = testSeed(31337);
const tmp = mkdtempSync(join(tmpdir(), 'lowbit-rtl-designs-'));
console.log(`rtl_designs seed ${seed} (LOWBIT_SEED=${seed} reproduces)`);

describe('every unit design: RTL == TS model (slow tier)', () => {
  for (const spec of UNITS) {
    for (const { label, design } of spec.designs()) {
      it(`${spec.name} ${label}`, async () => {
        const r = await verifyJob({ unit: spec.name, label, design, seed, cases: 2000, vcdDir: join(tmp, 'vcd') });
        if (!r.ok) console.log(r.report);
        expect(r.ok).toBe(true);
        expect(r.cycles).toBeGreaterThan(0);
      });
    }
  }
});

/**
 * A 16x16 preset through the accel_top unit (what `lowbit verify --unit accel_top --design int8-u8` runs): its
 * own designs are 4-column, and a 16-column build needs the unit's Verilator unroll arguments (without them:
 * BLKLOOPINIT); int8-u8 also covers unsigned activations on the array.
 */
describe('accel_top on a 16-column preset (slow tier)', () => {
  it('accel_top int8-u8', async () => {
    const r = await verifyJob({ unit: 'accel_top', label: 'int8-u8', design: PRESETS['int8-u8'], seed, cases: 200, vcdDir: join(tmp, 'vcd') });
    if (!r.ok) console.log(r.report);
    expect(r.ok).toBe(true);
    expect(r.cycles).toBeGreaterThan(0);
  });
});
