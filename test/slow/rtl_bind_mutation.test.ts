import { describe, it, expect } from 'vitest';
import { join, resolve } from 'node:path';
import { loadMutations, runBoundMutant } from '../../src/rtl/bind/mutate.js';
import { verifyBound, type BoundJob } from '../../src/rtl/bind/verify.js';
import { testSeed } from '../../src/util/rng.js';
import { hdlFiles } from '../../src/rtl/hdl_manifest.js';
import { runCli } from '../unit/helpers/cli.js';

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
  { dir: 'examples/rtl/gemm_seq', file: 'matmul_core.sv', top: 'matmul_core', design: 'int8' },
  { dir: 'examples/rtl/bit_serial', file: 'bs_dot32.sv', top: 'bs_dot32', design: 'int4' },
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
        expect(r.outcome!.report).toMatch(/first mismatch: (output|an extra output|input) transaction|first mismatch: output valid/);
      }
    });
  }

  it('a unit binding (pe_grid, 2 cycles deeper than mac_array): verify --mutations kills every mutant', async () => {
    const fx = resolve('test/rtl/fixtures/bind_unit');
    const files = [join(fx, 'pe_grid.sv'), ...hdlFiles('mac_array').map((f) => resolve(f))];
    const r = await runCli(['verify', ...files.flatMap((f) => ['--rtl', f]), '--top', 'pe_grid', '--bind', join(fx, 'bind_deep.json'), '--design', 'os-3x5-int8', '--cases', '30', '--seed', String(seed), '--mutations', join(fx, 'mutations.json')]);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toMatch(/^killed +pe-grid-valid-early +mismatch \(first bad: cycle \d+, y_valid_o\)/m);
    expect(r.out).toMatch(/^killed +pe-grid-debug-inverted +mismatch \(first bad: cycle \d+, y_o\)/m);
    expect(r.out).toContain('kill fraction 2/2 = 100.0%');
  });
});
