import { describe, it, expect } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HDL_MANIFEST } from '../../src/rtl/hdl_manifest.js';
import { resolveRepoPath } from '../../src/rtl/paths.js';

const HDL = resolveRepoPath('hdl');

describe('hdl/: SystemVerilog files, the manifest, the style rules', () => {
  it('every HDL file is SystemVerilog (.sv, or an include-guarded .svh package) and within 100 columns', () => {
    const files = readdirSync(HDL);
    expect(files.filter((f) => !f.endsWith('.sv') && !f.endsWith('_pkg.svh'))).toEqual([]);
    for (const f of files.filter((g) => g.endsWith('.svh'))) {
      const guard = f.replace('.svh', '_SVH').toUpperCase();
      expect(readFileSync(join(HDL, f), 'utf8'), f).toContain(`\`ifndef ${guard}\n\`define ${guard}\n`);
    }
    const long: string[] = [];
    for (const f of files) {
      readFileSync(join(HDL, f), 'utf8').split('\n').forEach((l, i) => {
        if (l.length > 100) long.push(`hdl/${f}:${i + 1} (${l.length} columns)`);
      });
    }
    expect(long).toEqual([]);
  });

  it('the manifest lists existing files, and every file in hdl/ belongs to some top', () => {
    const listed = new Set(Object.values(HDL_MANIFEST).flat());
    for (const f of listed) expect(existsSync(join(HDL, f)), f).toBe(true);
    expect(readdirSync(HDL).filter((f) => !listed.has(f))).toEqual([]);
    for (const [top, files] of Object.entries(HDL_MANIFEST)) expect(files).toContain(`${top}.sv`);
  });
});
