import { describe, it, expect } from 'vitest';
import { Rng, testSeed } from '../../src/util/rng.js';
import { compileModel } from '../../src/hw/accel_compile.js';
import { integerInference } from '../../src/model/infer.js';
import { cosimAccelerator, runAccelMutant, type AccelCapacity } from '../../src/rtl/accel_top.js';
import { GROUP_MUTATIONS } from '../../src/rtl/mutations.js';
import { groupCases, inputsFor } from '../unit/fixtures/accel_models.js';

/**
 * Per-group weight scales, the longer runs (the CI tier's one build is test/rtl/accel_group.rtl.test.ts):
 * the 17-bit multi-threshold case through the RTL on its own build, and every GROUP_MUTATIONS mutant
 * killed by co-simulating the grouped models of the 12-bit build (one Verilator build per mutant).
 */
const seed = testSeed(20);
const capacity: AccelCapacity = { wDepth: 512, pDepth: 64, actWords: 32, outDepth: 32, layers: 4, gDepth: 64 };
const cases = groupCases();

function job(label: string, batch: number) {
  const c = cases.find((k) => k.label.startsWith(label))!;
  const rng = new Rng(seed ^ c.salt);
  const m = c.model(rng);
  return { label, program: compileModel(m, c.design, { batch: 3 }), x: inputsFor(rng, m, batch), batch };
}

describe('accel_top with group multipliers: longer runs', () => {
  it(`17-bit multipliers, int4 weights, multi-threshold outputs: RTL == TS model == reference (seed ${seed})`, async () => {
    const c = cases.find((k) => k.label.includes('17-bit'))!;
    const rng = new Rng(seed ^ c.salt);
    const m = c.model(rng);
    const p = compileModel(m, c.design, { batch: 3 });
    const x = inputsFor(rng, m, 6);
    const res = await cosimAccelerator(p, x, 6, { capacity });
    expect(res.mismatch).toBeUndefined();
    expect(Array.from(res.outputs)).toEqual(Array.from(integerInference(m, x).output));
  });

  for (const mut of GROUP_MUTATIONS) {
    it(`mutant ${mut.id} is killed: ${mut.description}`, async () => {
      const jobs = [job('grouped w8a8', 3), job('grouped 1x1', 1), job('grouped 3x3', 1)];
      const r = await runAccelMutant(mut, jobs, { capacity });
      process.stderr.write(`[group mutation] ${mut.id}: ${r.how}${r.by ? ` by ${r.by}` : ''}${r.cycle !== undefined ? ` at cycle ${r.cycle} (${r.signal})` : ''}\n`);
      expect(r.killed, `${mut.id} survived (LOWBIT_SEED=${seed})`).toBe(true);
    });
  }
});
