import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository (or installed package) root: the folder holding `sim/` and `hdl/`. This file lives at
 * `src/rtl/paths.ts` (sources, tsx/vitest) or `dist/rtl/paths.js` (built), two levels below the root.
 */
let root: string | undefined;

export function repoRoot(): string {
  if (root === undefined) {
    const here = dirname(fileURLToPath(import.meta.url));
    root = resolve(here, '..', '..');
    if (!existsSync(join(root, 'sim', 'harness.cpp'))) root = process.cwd();
  }
  return root;
}

/** Resolves an RTL path given relative to the repository root (absolute paths pass through). */
export function resolveRepoPath(p: string): string {
  return resolve(repoRoot(), p);
}
