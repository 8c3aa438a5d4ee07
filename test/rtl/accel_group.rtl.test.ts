import { describe, it, expect } from 'vitest';
import { Rng, testSeed } from '../../src/util/rng.js';
import { compileModel } from '../../src/hw/accel_compile.js';
import { integerInference } from '../../src/model/infer.js';
import { cosimAccelerator, type AccelCapacity } from '../../src/rtl/accel_top.js';
import { accelCases, groupCases, inputsFor } from '../unit/fixtures/accel_models.js';

/**
 * Per-group weight scales through the accelerator RTL (docs/accelerator.md "Per-group weight scales"):
 * grouped MLPs (group sizes that divide K and that do not, group 1) and 1x1 convolutions, and an
 * ungrouped MLP on the same build, through the integer reference, the TS model and accel_top with its
 * group_scale lanes — every output port equal in every cycle. One Verilator build (tiny 4x4 with 12-bit
 * group multipliers); the 17-bit threshold case and the mutants are in test/slow/accel_group.slow.test.ts.
 */
const seed = testSeed(20);
const GROUP_CAPACITY: AccelCapacity = { wDepth: 512, pDepth: 64, actWords: 32, outDepth: 32, layers: 4, gDepth: 64 };

describe('accel_top RTL with group multipliers == TS accelerator model == integer reference', () => {
  const cases = groupCases().filter((c) => c.design.name === 'tiny-g12');
  it(`${cases.map((c) => c.label.split(':')[0]).join('; ')}; an ungrouped MLP (seed ${seed})`, async () => {
    const ungrouped = accelCases()[0];
    for (const c of [...cases, { ...ungrouped, design: cases[0].design }]) {
      const rng = new Rng(seed ^ c.salt);
      const m = c.model(rng);
      const p = compileModel(m, c.design, { batch: 3 });
      const batch = 4;
      const x = inputsFor(rng, m, batch);
      const ref = integerInference(m, x).output;
      const res = await cosimAccelerator(p, x, batch, { capacity: GROUP_CAPACITY });
      const where = `${c.design.name} / ${c.label}: LOWBIT_SEED=${seed}`;
      expect(res.mismatch, where).toBeUndefined();
      expect(Array.from(res.model.outputs), where).toEqual(Array.from(ref));
      expect(Array.from(res.outputs), where).toEqual(Array.from(ref));
      expect(res.cycles.every((n) => n === res.model.cycles), where).toBe(true);
    }
  });
});
