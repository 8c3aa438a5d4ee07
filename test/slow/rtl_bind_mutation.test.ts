import { describe, it, expect } from 'vitest';
import { join, resolve } from 'node:path';
import { loadMutations, runBoundMutant } from '../../src/rtl/bind/mutate.js';
import { verifyBound, type BoundJob } from '../../src/rtl/bind/verify.js';
import { testSeed } from '../../src/util/rng.js';

/**
 * Slow tier: every mutation of the example user designs (the requantizer example is verified only here) (examples/rtl/*\/mutations.json) must be
 * reported as a mismatch with a first bad transaction (the CI tier, test/rtl/bind.rtl.test.ts, runs one
 * per design). One Verilator build per mutant.
 */
const seed = testSeed(5);
const designs: { dir: string; file: string; top: string; design: string }[] = [
  { dir: 'examples/rtl/requant_shift', file: 'rq_shift4.sv', top: 'rq_shift4', design: 'examples/rtl/requant_shift/design.json' },
  { dir: 'examples/rtl/int8_dot', file: 'dot8_core.sv', top: 'dot8_core', design: 'int8' },
  { dir: 'examples/rtl/xnor64', file: 'xnor_pop64.sv', top: 'xnor_pop64', design: 'binary' },
];

describe('mutations of the example user designs (slow tier)', () => {
  for (const d of designs) {
    it(`${d.top}: matches its model, and every mutant is killed with a first bad transaction (seed ${seed})`, async () => {
      const dir = resolve(d.dir);
      const job: BoundJob = { files: [join(dir, d.file)], top: d.top, includeDirs: [], defines: [], params: {}, bind: join(dir, 'bind.json'), design: d.design, seed, cases: 100 };
      const good = await verifyBound(job);
      expect(good.ok, good.report).toBe(true);
      for (const m of loadMutations(join(dir, 'mutations.json'))) {
        const r = await runBoundMutant(job, m);
        expect(r.how, `mutant ${m.id}`).toBe('mismatch');
        expect(r.result!.report).toMatch(/first mismatch: (output|an extra output|input) transaction|first mismatch: output valid/);
      }
    });
  }
});
