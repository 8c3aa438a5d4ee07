import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { InputError } from '../util/errors.js';
import { applyMutation, type Mutation } from './mutation_apply.js';

export { applyMutation, type Mutation } from './mutation_apply.js';
import { cacheRoot } from './build.js';
import { resolveRepoPath } from './paths.js';
import { resolveUnit, selectDesigns, verifyJob, type VerifyResult } from './verify.js';

/**
 * Mutation testing of the co-simulation: a mutation is a text pattern and its replacement in one named
 * RTL file (an operator swapped, a shift off by one, a saturation removed, a rounding increment dropped,
 * a popcount correction changed, a pipeline register skipped). Each mutant is built from copies of the
 * unit's RTL in a temporary folder (the sources are never touched) and verified on the unit's designs;
 * it is "killed" when verify reports a mismatch (or when the mutant no longer builds: it could not ship).
 * The kill fraction measures how much of the RTL the stimulus and the comparison actually check.
 */
export interface MutantResult {
  mutation: Mutation;
  killed: boolean;
  /** `mismatch` (verify failed), `build` (the mutant did not build) or `survived` */
  how: 'mismatch' | 'build' | 'survived';
  /** the killing verify result (with the report naming the unit), if any */
  result?: VerifyResult;
  /** build error text when killed by the build */
  error?: string;
}

/** Builds and verifies one mutant on the unit's designs (stops at the first that kills it). */
export async function runMutant(
  m: Mutation,
  opts: { seed: number; cases: number; cacheDir?: string; vcdDir?: string; designs?: string[] },
): Promise<MutantResult> {
  const spec = await resolveUnit(m.unit);
  const tmp = mkdtempSync(join(tmpdir(), `lowbit-mutant-${m.id}-`));
  try {
    const only = opts.designs ?? m.designs;
    const designs = selectDesigns(spec).filter((d) => only === undefined || only.includes(d.label));
    if (designs.length === 0) throw new InputError(`mutation ${m.id}: none of ${spec.name}'s designs is in ${JSON.stringify(only)}`);
    for (const d of designs) {
      const files = spec.hdlFiles(d.design);
      if (!files.includes(m.file)) throw new InputError(`mutation ${m.id}: ${m.file} is not one of ${spec.name}'s RTL files (${files.join(', ')})`);
      const override: Record<string, string> = {};
      for (const f of files) {
        const src = readFileSync(resolveRepoPath(f), 'utf8');
        const out = join(tmp, basename(f));
        writeFileSync(out, f === m.file ? applyMutation(m, src) : src);
        override[f] = out;
      }
      let result: VerifyResult;
      try {
        result = await verifyJob({
          unit: m.unit, label: d.label, design: d.design, seed: opts.seed, cases: opts.cases,
          cacheDir: opts.cacheDir, vcdDir: join(opts.vcdDir ?? join(cacheRoot(opts.cacheDir), 'vcd', 'mutants'), m.id), hdlOverride: override,
        });
      } catch (e) {
        const msg = (e as Error).message;
        if (/Verilator build failed/.test(msg)) return { mutation: m, killed: true, how: 'build', error: msg };
        throw e;
      }
      if (!result.ok) return { mutation: m, killed: true, how: 'mismatch', result };
    }
    return { mutation: m, killed: false, how: 'survived' };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Kill fraction summary: `killed/total`. */
export function killFraction(results: MutantResult[]): { killed: number; total: number; fraction: number } {
  const killed = results.filter((r) => r.killed).length;
  return { killed, total: results.length, fraction: results.length === 0 ? 0 : killed / results.length };
}
