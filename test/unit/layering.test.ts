import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The layering of src/ (docs/architecture.md, "Layers of src/"): a folder imports only from folders on
 * earlier rows; folders on one row do not import each other. Read from every relative import, export
 * and dynamic import() of every .ts file in src/.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['util', 'types'],
  ['arith', 'workers'],
  ['data'], // datasets read through the arithmetic's rules (pixels rounded half-even to the input scale)
  ['kernels'],
  ['model'],
  ['quant', 'train', 'hw'],
  ['rtl'],
  ['synth'],
  ['estimate'],
  ['explore'],
  ['report'],
  ['flows'],
  ['cli'],
  ['.'], // src/index.ts, the public API
];
const rank = new Map(LAYERS.flatMap((row, i) => row.map((f) => [f, i] as const)));
const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) tsFiles(p, out);
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** The top folder of src/ that a path inside src/ belongs to ('.' for files directly in src/). */
function folderOf(p: string): string {
  const parts = relative(SRC, p).split(sep);
  return parts.length > 1 ? parts[0] : '.';
}

/** The imports of `file` that break the layering, as `from -> to (file: specifier)`. */
function layerViolations(file: string, text: string): string[] {
  const from = folderOf(file);
  const bad: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const target = normalize(join(dirname(file), m[1]));
    if (relative(SRC, target).startsWith('..')) continue; // outside src/ (e.g. package.json)
    const to = folderOf(target);
    if (to === from) continue;
    const rf = rank.get(from);
    const rt = rank.get(to);
    if (rf === undefined || rt === undefined || rt >= rf) bad.push(`${from} -> ${to} (${relative(SRC, file)}: ${m[1]})`);
  }
  return bad;
}

describe('layering of src/', () => {
  const files = tsFiles(SRC);

  it('every folder of src/ has a row', () => {
    const folders = new Set(files.map(folderOf));
    expect([...folders].filter((f) => !rank.has(f))).toEqual([]);
  });

  it(`no import runs to a later row or across a row (${files.length} files)`, () => {
    expect(files.flatMap((f) => layerViolations(f, readFileSync(f, 'utf8')))).toEqual([]);
  });

  it('the check sees static, re-exported and dynamic imports', () => {
    const f = join(SRC, 'arith', 'x.ts');
    expect(layerViolations(f, "import { a } from '../hw/design.js';")).toEqual(["arith -> hw (arith/x.ts: ../hw/design.js)"]);
    expect(layerViolations(f, "export * from '../model/index.js';")).toHaveLength(1);
    expect(layerViolations(f, "const m = await import('../cli/main.js');")).toHaveLength(1);
    expect(layerViolations(f, "import '../train/run.js';")).toHaveLength(1);
    expect(layerViolations(join(SRC, 'hw', 'x.ts'), "import type { Q } from '../quant/index.js';")).toHaveLength(1);
    expect(layerViolations(join(SRC, 'hw', 'x.ts'), "import { a } from '../arith/index.js';\nimport { b } from './y.js';")).toEqual([]);
  });
});
