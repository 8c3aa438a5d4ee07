import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError } from '../../util/errors.js';
import { runBinding, type BoundOutcome } from './dispatch.js';
import type { BoundJob } from './verify.js';

/**
 * Mutation runs on bound user RTL, for both binding kinds (stream and unit, src/rtl/bind/dispatch.ts): each
 * mutation replaces one exact text in one of the user's files (in a copy, never in place), the copy is
 * built and checked with the same binding, seed and cases; a mutant is killed when the check reports a
 * mismatch. A pattern that does not occur exactly once is an error (a
 * stale mutation), never skipped. File format (`mutations.json`), paths relative to that file:
 *   [{ "id": "no-accumulate", "file": "dot8_core.sv", "find": "run_q <= run_q + sum_q;",
 *      "replace": "run_q <= sum_q;", "description": "the running sum restarts every beat" }]
 */
export interface BoundMutation {
  id: string;
  /** absolute path */
  file: string;
  find: string;
  replace: string;
  description: string;
}

export interface BoundMutantResult {
  mutation: BoundMutation;
  killed: boolean;
  /** `mismatch`, `survived`, or the build error that killed it */
  how: string;
  /** the check of the mutant (absent when its build failed) */
  outcome?: BoundOutcome;
}

export function loadMutations(path: string): BoundMutation[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new InputError(`--mutations ${path}: ${(e as Error).message}; give a JSON array of {id, file, find, replace, description}`);
  }
  if (!Array.isArray(json) || json.length === 0) throw new InputError(`${path}: expected a non-empty JSON array of {id, file, find, replace, description}`);
  return json.map((m: Record<string, unknown>, i) => {
    for (const k of ['id', 'file', 'find', 'replace', 'description']) {
      if (typeof m?.[k] !== 'string') throw new InputError(`${path}: [${i}].${k}: expected a string`);
    }
    return { id: m.id as string, file: resolve(dirname(path), m.file as string), find: m.find as string, replace: m.replace as string, description: m.description as string };
  });
}

export async function runBoundMutant(job: BoundJob, m: BoundMutation): Promise<BoundMutantResult> {
  const cwd = job.cwd ?? process.cwd();
  const given = job.files.find((f) => resolve(cwd, f) === m.file);
  if (given === undefined) throw new InputError(`mutation ${m.id}: ${m.file} is not one of the --rtl files`);
  const text = readFileSync(m.file, 'utf8');
  const n = text.split(m.find).length - 1;
  if (n !== 1) throw new InputError(`mutation ${m.id}: the text to replace occurs ${n} times in ${m.file} (stale mutation); it must occur exactly once`);
  const dir = mkdtempSync(join(tmpdir(), 'lowbit-mutant-'));
  try {
    const copy = join(dir, basename(m.file));
    writeFileSync(copy, text.replace(m.find, m.replace));
    for (const f of job.files) if (f !== given && basename(resolve(cwd, f)) === basename(m.file)) copyFileSync(resolve(cwd, f), join(dir, basename(f)));
    // the original folder stays on the include path (`include files next to the mutated one)
    const mutant: BoundJob = { ...job, fileOverride: { ...job.fileOverride, [given]: copy }, includeDirs: [...job.includeDirs, dirname(m.file)] };
    try {
      const outcome = await runBinding(mutant);
      return { mutation: m, killed: !outcome.ok, how: outcome.ok ? 'survived' : 'mismatch', outcome };
    } catch (e) {
      if (e instanceof InputError) throw e;
      return { mutation: m, killed: true, how: `build failed: ${(e as Error).message.split('\n')[0]}` };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
