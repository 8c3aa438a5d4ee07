import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { ACCEL_MUTATIONS, GROUP_MUTATIONS, MUTATIONS } from '../../src/rtl/mutations.js';
import { applyMutation } from '../../src/rtl/mutation_apply.js';
import { UNITS } from '../../src/rtl/units/index.js';
import { resolveRepoPath } from '../../src/rtl/paths.js';

/**
 * The mutation catalogues stay current without a Verilator build: every pattern occurs exactly once in
 * its file (so the mutant is the one described, wherever the logic moved), the file belongs to the
 * mutated unit's build (its UnitSpec's hdlFiles), and the mutant differs from the source.
 */
describe('mutation catalogue patterns', () => {
  for (const m of [...MUTATIONS, ...ACCEL_MUTATIONS, ...GROUP_MUTATIONS]) {
    it(`${m.id} (${m.file})`, () => {
      const src = readFileSync(resolveRepoPath(m.file), 'utf8');
      expect(src.split(m.pattern).length - 1, `occurrences of ${JSON.stringify(m.pattern)}`).toBe(1);
      expect(applyMutation(m, src)).not.toBe(src);
      const unit = UNITS.find((u) => u.name === m.unit);
      expect(unit, `unit ${m.unit} registered in src/rtl/units`).toBeDefined();
      expect(unit!.hdlFiles(unit!.designs()[0].design)).toContain(m.file);
    });
  }
});
