import { InputError } from '../util/errors.js';

/** A text mutation of one RTL file (the catalogue: mutations.ts; running mutants: mutate.ts). */
export interface Mutation {
  /** short id, e.g. `requantizer-no-sat` */
  id: string;
  /** unit name or module path (as `lowbit verify --unit`) */
  unit: string;
  /** repo-relative RTL file as listed by the unit's `hdlFiles()` */
  file: string;
  /** what the mutation does, in words */
  description: string;
  /** exact text to replace (its first occurrence); it must occur in the file */
  pattern: string;
  replacement: string;
  /** design labels to verify the mutant on (default: all of the unit's designs, stopping at the first kill) */
  designs?: string[];
}

/** Applies a mutation to a source text; throws when the pattern is missing (a stale mutation). */
export function applyMutation(m: Mutation, source: string): string {
  const i = source.indexOf(m.pattern);
  if (i < 0) throw new InputError(`mutation ${m.id}: pattern ${JSON.stringify(m.pattern)} not found in ${m.file}; update the mutation`);
  return source.slice(0, i) + m.replacement + source.slice(i + m.pattern.length);
}
