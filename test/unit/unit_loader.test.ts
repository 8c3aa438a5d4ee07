import { describe, it, expect } from 'vitest';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importUserModule } from '../../src/rtl/unit_loader.js';

/**
 * Loading a user's TypeScript module (a UnitSpec) without a TS-aware process: tsx's scoped tsImport, and the
 * typescript package's transpileModule (written beside the source, imported, deleted). The built CLI
 * end to end: test/rtl/unit_ts_cli.rtl.test.ts.
 */
function userFolder(): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'lowbit-unit-ts-'));
  writeFileSync(join(dir, 'helper.mjs'), 'export const twice = (x) => 2n * x;\n');
  writeFileSync(
    join(dir, 'my_unit.ts'),
    [
      "import { twice } from './helper.mjs';",
      'interface Cfg { width: number }',
      'const cfg: Cfg = { width: 4 };',
      'enum Dir { In = 1, Out = 2 }',
      'export const unit = { name: "my_unit", width: cfg.width as number, dir: Dir.Out, twice: (v: bigint): bigint => twice(v) };',
      'export default unit;',
    ].join('\n'),
  );
  return { dir, file: join(dir, 'my_unit.ts') };
}

describe('importUserModule (TypeScript UnitSpec modules)', () => {
  for (const how of ['tsx', 'typescript'] as const) {
    it(`loads a .ts module with types, an enum and a relative import through ${how}`, async () => {
      const { dir, file } = userFolder();
      const mod = await importUserModule(file, how);
      const u = mod.unit as { name: string; width: number; dir: number; twice(v: bigint): bigint };
      expect([u.name, u.width, u.dir, u.twice(21n)]).toEqual(['my_unit', 4, 2, 42n]);
      expect(mod.default).toBe(u);
      expect(readdirSync(dir).sort()).toEqual(['helper.mjs', 'my_unit.ts']); // nothing left behind
    });
  }
});
