import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The lowbit package's own folder (the one holding its package.json), wherever it is installed: this
 * file is `src/util/package.ts` (sources) or `dist/util/package.js` (built), two levels below it.
 */
let root: string | undefined;

export function packageRoot(): string {
  root ??= resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  return root;
}

/** lowbit's version, from its own package.json (not the host project's). */
export function lowbitVersion(): string {
  const file = join(packageRoot(), 'package.json');
  return existsSync(file) ? String((JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version) : 'unknown';
}

/** A doc shipped with lowbit, as a path that exists in an installed copy (for messages: "see <path>"). */
export function docPath(name: string): string {
  return join(packageRoot(), 'docs', name);
}

/** A file under lowbit's shipped `examples/` (Designs, RTL with bindings), as a path that exists in an installed copy. */
export function examplePath(name: string): string {
  return join(packageRoot(), 'examples', name);
}
