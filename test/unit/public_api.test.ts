import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The public API is exactly what docs/api.md documents: the names in its bullet lists ("- `name`", several
 * per line allowed; "(type)" / "(types)" after them marks the whole line as types) equal the named exports of src/index.ts, types included (read with the TypeScript
 * checker), and the runtime exports equal the documented names not marked "(type)".
 */
const indexFile = fileURLToPath(new URL('../../src/index.ts', import.meta.url));
const doc = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');

function documented(): { all: string[]; types: string[] } {
  const all: string[] = [];
  const types: string[] = [];
  for (const line of doc.split('\n')) {
    const m = /^- ((?:`\w+`(?:, )?)+)(?: \(types?\))?/.exec(line);
    if (!m) continue;
    const names = [...m[1].matchAll(/`(\w+)`/g)].map((x) => x[1]);
    all.push(...names);
    if (/^- (?:`\w+`(?:, )?)+ \(types?\)/.test(line)) types.push(...names);
  }
  return { all, types };
}

function exported(): { all: string[]; values: string[] } {
  const program = ts.createProgram([indexFile], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, noEmit: true, skipLibCheck: true });
  const checker = program.getTypeChecker();
  const sym = checker.getSymbolAtLocation(program.getSourceFile(indexFile)!)!;
  const all: string[] = [];
  const values: string[] = [];
  for (const e of checker.getExportsOfModule(sym)) {
    all.push(e.name);
    const target = e.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(e) : e;
    if (target.flags & ts.SymbolFlags.Value) values.push(e.name);
  }
  return { all, values };
}

describe('the public API (src/index.ts) is the documented one (docs/api.md)', () => {
  const doc = documented();
  const exp = exported();

  it('every export is documented and every documented name is exported, each once', () => {
    expect(new Set(doc.all).size).toBe(doc.all.length);
    expect([...doc.all].sort()).toEqual([...exp.all].sort());
  });

  it('the names marked (type) are the type-only exports; the rest are the runtime exports', async () => {
    const runtime = Object.keys(await import('../../src/index.js')).sort();
    expect(runtime).toEqual([...exp.values].sort());
    expect(doc.all.filter((n) => !doc.types.includes(n)).sort()).toEqual(runtime);
  });

  it('nothing internal: helpers like grow, scale2, wIndex are not exported; the mixed-precision API is', () => {
    for (const internal of ['grow', 'scale2', 'wIndex', 'srdhmUnchecked', 'param']) expect(exp.all).not.toContain(internal);
    for (const mp of ['MixedPrecision', 'mixedPrecisionHooks', 'MixedPrecisionConfig', 'runTraining']) expect(exp.all).toContain(mp);
    expect(exp.all.length).toBeLessThan(300);
  });
});
