import { describe, it, expect } from 'vitest';
import { compileModel } from '../../src/hw/accel_compile.js';
import { runAccelMutant } from '../../src/rtl/accel_top.js';
import { ACCEL_MUTATIONS, MUTATIONS } from '../../src/rtl/mutations.js';
import { testSeed } from '../../src/util/rng.js';
import { ttqShiftModel, ttqTinyDesign } from '../unit/fixtures/ttq_models.js';

// The shift PE's mutants (sign ignored, zero flag ignored, shift off by one, activation zero-extended) and
// the accelerator's shift-array mutant, each applied to the whole accelerator and run on a trained TTQ model
// with power-of-two scales and W_p != W_n in every layer (test/unit/fixtures/ttq_models.ts): co-simulation
// against the TS model must catch every one on two MNIST images.
const seed = testSeed(2020);
console.log(`ttq_shift_mutation.slow.test seed ${seed} (LOWBIT_SEED=${seed} reproduces)`);

describe('shift-PE mutants are killed on a TTQ model', () => {
  const { model, pixels } = ttqShiftModel(seed);
  const program = compileModel(model, ttqTinyDesign('shift'));
  const jobs = [{ label: 'ttq-shift tfc 16,8', program, x: Int32Array.from(pixels.subarray(0, 2 * 784)), batch: 2 }];
  const muts = [...MUTATIONS.filter((m) => m.unit === 'mac_pe_shift'), ...ACCEL_MUTATIONS.filter((m) => m.designs?.includes('tiny-shift'))];
  it('the mutants are there', () => expect(muts.length).toBe(5));
  for (const mut of muts) {
    it(`${mut.id}: ${mut.description}`, async () => {
      const r = await runAccelMutant(mut, jobs);
      process.stderr.write(`[ttq shift mutation] ${mut.id}: ${r.how}${r.by ? ` by ${r.by}` : ''}${r.cycle !== undefined ? ` at cycle ${r.cycle} (${r.signal})` : ''}\n`);
      expect(r.killed, `${mut.id} survived (LOWBIT_SEED=${seed})`).toBe(true);
    }, 1_800_000);
  }
});
