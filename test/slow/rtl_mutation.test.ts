import { afterAll, describe, it, expect } from 'vitest';
import { killFraction, type MutantResult } from '../../src/rtl/mutate.js';
import { MUTATIONS } from '../../src/rtl/mutations.js';
import { WorkerPool } from '../../src/workers/pool.js';
import { testSeed } from '../../src/util/rng.js';

/**
 * Slow tier: the whole mutation catalogue (src/rtl/mutations.ts; the CI tier's test/rtl/mutation.rtl.test.ts
 * runs one mutant per unit). Every mutant must be reported as a mismatch naming its unit. One build each,
 * in parallel through the worker pool.
 */
const seed = testSeed(4);
const CASES = 100;
const pool = new WorkerPool(2);
afterAll(() => pool.close());
const mutateUrl = new URL('../../src/rtl/mutate.ts', import.meta.url).href;

describe('mutation catalogue (slow tier)', () => {
  it(`every mutant of the catalogue is killed (seed ${seed})`, async () => {
    const results = await Promise.all(MUTATIONS.map((m) => pool.run<MutantResult>(mutateUrl, 'runMutant', [m, { seed, cases: CASES }])));
    const k = killFraction(results);
    console.log(`mutation kill fraction ${k.killed}/${k.total} (seed ${seed})`);
    for (const r of results) {
      expect(r.killed, `mutant ${r.mutation.id} survived`).toBe(true);
      expect(r.how, `mutant ${r.mutation.id}: ${r.error ?? ''}`).toBe('mismatch');
      expect(r.result!.report).toContain(`MISMATCH ${r.mutation.unit}, design `);
    }
    expect(k.fraction).toBe(1);
  });
});
