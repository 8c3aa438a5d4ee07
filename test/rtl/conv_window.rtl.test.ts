import { describe, it, expect } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyJob } from '../../src/rtl/verify.js';
import { convWindowUnit } from '../../src/rtl/units/conv_window.js';
import { testSeed } from '../../src/util/rng.js';

// The sliding-window generator (hdl/conv_window.sv, the add-only address walk) against WindowWalkModel
// (src/hw/window_walk.ts) through Verilator: every output every cycle on layer walks (mac rows, XNOR
// segments cut at the padding, pooling taps) and on random descriptors and controls. Its mutants:
// `lowbit verify --unit conv_window --mutate` (window-row-step is in test/rtl/mutation.rtl.test.ts).
const seed = testSeed(2051);
const tmp = mkdtempSync(join(tmpdir(), 'lowbit-conv-window-'));
console.log(`conv_window.rtl.test seed ${seed} (LOWBIT_SEED=${seed} reproduces)`);

describe('conv_window RTL co-simulation', () => {
  for (const { label, design } of convWindowUnit.designs()) {
    it(`matches the TS model: ${label}`, async () => {
      const r = await verifyJob({ unit: 'src/rtl/units/conv_window.ts', label, design, seed, cases: 3000, vcdDir: join(tmp, 'vcd') });
      if (!r.ok) console.log(r.report);
      expect(r.ok).toBe(true);
      expect(r.cycles).toBeGreaterThanOrEqual(3000);
    });
  }
});
