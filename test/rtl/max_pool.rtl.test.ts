import { describe, it } from 'vitest';
import { expectMatch } from './helpers/expect_match.js';
import { testSeed } from '../../src/util/rng.js';

// The pooling unit (hdl/max_pool.sv, in its registering shell sim/max_pool_reg.sv) against the accelerator
// model's rule (poolWindowMax, src/hw/conv_window.ts) through Verilator: y_o every cycle on every window
// 1..3 x 1..3 with ±1 and integer taps, ties, extremes, one-hot maxima at each tap position, empty and
// oversized windows, and random cycles. Two builds: 8-bit signed slots, and 7-bit unsigned ones that
// straddle x_i's 32-bit words. The other designs (int4, binary, uint8, int16, uint1) run in the slow tier
// (test/slow/rtl_designs.test.ts, `lowbit verify --unit max_pool`); the mutants in
// `lowbit verify --unit max_pool --mutate` (max_pool-unsigned-compare is in test/rtl/mutation.rtl.test.ts).
const seed = testSeed(1515);
console.log(`max_pool.rtl.test seed ${seed} (LOWBIT_SEED=${seed} reproduces)`);

describe('max_pool RTL vs the pooling rule', () => {
  for (const label of ['int8', 'uint7']) {
    it(`matches every cycle: ${label}`, async () => {
      await expectMatch('max_pool', label, seed, 3000);
    });
  }
});
