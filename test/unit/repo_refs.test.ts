import { describe, it, expect } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Every reference in the repository resolves inside it: a clone is complete. Scanned: src/, hdl/, test/,
 * docs/, scripts/, bench/, sim/, .ci/ and README.md. A reference is
 *   - a path from the root into a source folder (`src/hw/accel_desc.ts`, `hdl/accel_top.sv`, `docs/arith.md`;
 *     a path without extension may name a file by its prefix, `test/rtl/cosim`);
 *   - a relative Markdown link in a .md file (`[arith.md](arith.md)`);
 *   - in a comment or a .md file, a file name ending in .md, .sv, .v or .ts, which must be the name of
 *     some file of the repository (except .sv/.v/.ts names on a `lowbit ...` command line or right after
 *     an `--option`: the user's files).
 * Globs and placeholders (`*`, `<name>`, `${x}`, `{a,b}`) are not references. Outputs the tools write
 * (models/, reports/) are not checked.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCANNED = ['src', 'hdl', 'test', 'docs', 'scripts', 'bench', 'sim', '.ci', 'README.md'];
const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', '.cache']);
const TEXT = /\.(ts|js|mjs|sv|v|md|cpp|h|sh|json|txt|py)$|^run$/;

function walk(dir: string, out: string[]): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP_DIRS.has(e.name)) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else out.push(relative(ROOT, p));
  }
  return out;
}

const all = walk(ROOT, []);
const names = new Set(all.map((f) => basename(f)));
const scanned = SCANNED.flatMap((s) => {
  const p = join(ROOT, s);
  if (!existsSync(p)) return [];
  return statSync(p).isDirectory() ? walk(p, []) : [s];
}).filter((f) => TEXT.test(basename(f)));

const PATH = /(?<![\w./-])((?:src|hdl|test|docs|scripts|bench|sim|\.ci)\/[\w./*<>{}$-]*[\w*>}])/g;
const LINK = /\]\(([^)#\s]+)(?:#[^)]*)?\)/g;
const NAME = /(?<![\w/.$*<-])([\w-]{3,}\.(?:md|sv|v|ts))\b/g;
const CLI_EXAMPLE = /\blowbit [a-z]/;
const isPlaceholder = (p: string): boolean => /[*<>{}$]/.test(p);
const isComment = (line: string): boolean => /^\s*(\/\/|\/\*|\*|#)/.test(line);

function resolvesFromRoot(p: string): boolean {
  if (existsSync(join(ROOT, p))) return true;
  return /\.\w+$/.test(p) ? false : all.some((f) => f.startsWith(p));
}

/** The references in `text` (the content of repository file `file`) that resolve to nothing. */
function brokenReferences(text: string, file: string): string[] {
  const bad: string[] = [];
  const md = file.endsWith('.md');
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const at = `${file}:${i + 1}`;
    for (const m of line.matchAll(PATH)) {
      const p = m[1].replace(/\.$/, '');
      if (!isPlaceholder(p) && !resolvesFromRoot(p)) bad.push(`${at}: ${p}`);
    }
    if (md) {
      for (const m of line.matchAll(LINK)) {
        const p = m[1];
        if (/^[a-z]+:/.test(p) || isPlaceholder(p)) continue;
        if (!existsSync(join(ROOT, dirname(file), p))) bad.push(`${at}: link ${p}`);
      }
    }
    if (md || isComment(line)) {
      for (const m of line.matchAll(NAME)) {
        // a command line names the user's files (`lowbit verify --rtl top.sv`), not the repository's
        const usersFile = (CLI_EXAMPLE.test(line) || /--[\w-]+\s+$/.test(`${lines[i - 1] ?? ''} ${line.slice(0, m.index)}`)) && !m[1].endsWith('.md');
        if (!names.has(m[1]) && !usersFile) bad.push(`${at}: ${m[1]}`);
      }
    }
  });
  return bad;
}

describe('the repository is self-contained', () => {
  it(`every reference in ${scanned.length} files resolves to a file of the repository`, () => {
    expect(scanned.length).toBeGreaterThan(100);
    expect(scanned.flatMap((f) => brokenReferences(readFileSync(join(ROOT, f), 'utf8'), f))).toEqual([]);
  });

  it('the scanner finds a broken reference of each kind, and skips globs and placeholders', () => {
    // the probes are assembled so that this file itself holds no broken reference
    const missingTs = ['src', 'hw', 'no_such_file.ts'].join('/');
    const missingMd = ['SPEC', 'NOT', 'HERE.md'].join('_');
    expect(brokenReferences(`see ${missingTs} and hdl/accel_top.sv`, 'src/index.ts')).toEqual([`src/index.ts:1: ${missingTs}`]);
    expect(brokenReferences(`[rules](${missingMd}) and [arith](arith.md)`, 'docs/arith.md'))
      .toEqual([`docs/arith.md:1: link ${missingMd}`, `docs/arith.md:1: ${missingMd}`]);
    expect(brokenReferences(` * the rules are in ${missingMd}, see arith.md`, 'src/index.ts')).toEqual([`src/index.ts:1: ${missingMd}`]);
    expect(brokenReferences(`const x = ${missingMd}; // src/rtl/units/*.ts, src/hw/<name>.ts`, 'src/index.ts')).toEqual([]);
    expect(brokenReferences(' * `lowbit verify --rtl my_core.sv --bind b.json`', 'src/index.ts')).toEqual([]);
    expect(brokenReferences('--unit my_unit.ts` works from the CLI', 'docs/arith.md')).toEqual([]);
  });
});
