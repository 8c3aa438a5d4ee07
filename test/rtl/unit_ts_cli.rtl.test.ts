import { describe, it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * A UnitSpec written in TypeScript, loaded by the built CLI (`node dist/cli/main.js`, plain Node 20: no TS
 * loader in the process) — src/rtl/unit_loader.ts registers tsx for that one import. The fixture's correct
 * model matches (exit 0) and its deliberately wrong model is reported (exit 1), so the .ts module really ran.
 */
const root = resolve('.');
const cli = join(root, 'dist/cli/main.js');
const fixtures = join(root, 'test/rtl/fixtures');

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

beforeAll(() => {
  // CI builds before testing; a stale or missing dist is rebuilt here so the test checks these sources
  if (!existsSync(cli) || statSync(cli).mtimeMs < newest(join(root, 'src'))) {
    const b = spawnSync('npm', ['run', '-s', 'build'], { cwd: root, encoding: 'utf8' });
    expect(b.status, b.stderr).toBe(0);
  }
});

describe('verify --unit file.ts from the built CLI', () => {
  it('loads the .ts UnitSpec (a path relative to the working directory), runs it, exits 0 / 1', () => {
    const ok = spawnSync('node', [cli, 'verify', '--unit', 'acc_fixture.unit.ts', '--design', 'int8', '--cases', '20'], { cwd: fixtures, encoding: 'utf8' });
    expect(ok.stderr).not.toContain('Unknown file extension');
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^ok +acc_fixture int8 +\d+ cycles/m);
    const bad = spawnSync('node', [cli, 'verify', '--unit', join(fixtures, 'acc_fixture_wrong_model.unit.ts'), '--design', 'int8', '--cases', '20'], { cwd: root, encoding: 'utf8' });
    expect(bad.status, bad.stderr).toBe(1);
    expect(bad.stdout).toContain('MISMATCH acc_fixture, design int8');
  });
});
