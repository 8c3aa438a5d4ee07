import { afterAll, describe, it, expect } from 'vitest';
import { applyMutation, killFraction, type Mutation, type MutantResult } from '../../src/rtl/mutate.js';
import { MUTATIONS } from '../../src/rtl/mutations.js';
import { unitNames } from '../../src/rtl/units/index.js';
import { WorkerPool } from '../../src/workers/pool.js';
import { InputError } from '../../src/util/errors.js';
import { testSeed } from '../../src/util/rng.js';

/**
 * Mutation test of the co-simulation (CI tier): one mutant of each registered unit — operator swapped,
 * sign ignored, off-by-one counter, rounding increment dropped, popcount correction changed, the window walk
 * misstepping, the pooling compare made unsigned, the whole accelerator's cycle count one short — and
 * the fixture's mutants must be reported as a mismatch naming their unit. Each mutant is one Verilator
 * build, so the CI tier runs these 10; test/slow/rtl_mutation.test.ts (and `lowbit verify --mutate`) runs
 * the whole catalogue (src/rtl/mutations.ts). Mutants are built and verified in parallel through the
 * worker pool; builds are cached by content, so reruns are fast.
 */
const seed = testSeed(4);
const CASES = 100;
const FIXTURE = 'test/rtl/fixtures/acc_fixture.unit.ts';
const fixtureMutations: Mutation[] = [
  {
    id: 'fixture-valid-unregistered', unit: FIXTURE, file: 'test/rtl/fixtures/acc_fixture.sv', designs: ['narrow'],
    description: 'pipeline register skipped: valid_o driven from en_i', pattern: 'assign valid_o = valid_q;', replacement: 'assign valid_o = en_i;',
  },
  {
    id: 'fixture-rotate-off', unit: FIXTURE, file: 'test/rtl/fixtures/acc_fixture.sv', designs: ['int8'],
    description: 'shift off by one: rotate feedback drops the wrap bit', pattern: '{w_q[WideWidth-2:0], w_q[WideWidth-1]}', replacement: '{w_q[WideWidth-2:0], 1\'b0}',
  },
];
/** The CI tier's mutants: exactly one per registered unit (checked below). */
const CI_MUTANTS = [
  'mac_pe-mac-sub', 'mac_pe_shift-neg-ignored', 'mac_array-drain-short', 'requantizer-rnd-inc-dropped', 'xnor-correction', 'window-row-step',
  'max_pool-unsigned-compare', 'accel-cycles-short',
];
const pool = new WorkerPool(2);
afterAll(() => pool.close());
const mutateUrl = new URL('../../src/rtl/mutate.ts', import.meta.url).href;

describe('mutation test', () => {
  it('the catalogue covers every registered unit and its patterns are current', () => {
    const covered = new Set(MUTATIONS.map((m) => m.unit));
    for (const u of unitNames()) expect(covered.has(u), `no mutation for unit ${u}`).toBe(true);
    expect(() => applyMutation({ ...fixtureMutations[0], pattern: 'no such text' }, 'module x; endmodule')).toThrow(InputError);
    expect(applyMutation(fixtureMutations[0], 'a\nassign valid_o = valid_q;\nb')).toBe('a\nassign valid_o = en_i;\nb');
    const ci = CI_MUTANTS.map((id) => MUTATIONS.find((m) => m.id === id));
    expect(ci.every((m) => m !== undefined), `CI mutants ${CI_MUTANTS.join(', ')} are all in the catalogue`).toBe(true);
    expect(ci.map((m) => m!.unit).sort()).toEqual([...unitNames()].sort());
  });

  it(`every mutant is killed with a report naming its unit (seed ${seed})`, async () => {
    const all = [...fixtureMutations, ...MUTATIONS.filter((m) => CI_MUTANTS.includes(m.id))];
    const results = await Promise.all(all.map((m) => pool.run<MutantResult>(mutateUrl, 'runMutant', [m, { seed, cases: CASES }])));
    const k = killFraction(results);
    console.log(`mutation kill fraction ${k.killed}/${k.total} (seed ${seed})`);
    for (const r of results) {
      const where = r.result?.mismatch ? `${r.result.label} cycle ${r.result.mismatch.cycle} ${r.result.mismatch.signal}` : r.how;
      console.log(`  ${r.killed ? 'killed  ' : 'SURVIVED'} ${r.mutation.id}: ${where}`);
    }
    for (const r of results) {
      expect(r.killed, `mutant ${r.mutation.id} survived`).toBe(true);
      expect(r.how, `mutant ${r.mutation.id}: ${r.error ?? ''}`).toBe('mismatch');
      const unitName = r.mutation.unit === FIXTURE ? 'acc_fixture' : r.mutation.unit;
      expect(r.result!.report).toContain(`MISMATCH ${unitName}, design `);
      expect(r.result!.report).toContain(`--seed ${seed} --cases ${CASES} --keep-vcd`);
    }
    expect(k.fraction).toBe(1);
  });
});
