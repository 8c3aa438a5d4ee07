import { describe, it, expect, vi } from 'vitest';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';

/** `lowbit verify` end to end through `main()`: exit codes 0 / 1 / 2, text and JSON output, the pool. */
const GOOD = 'test/rtl/fixtures/acc_fixture.unit.ts';
const WRONG = 'test/rtl/fixtures/acc_fixture_wrong_model.unit.ts';
const tmp = mkdtempSync(join(tmpdir(), 'lowbit-verify-cli-'));

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  try {
    const code = await main(args);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('lowbit verify', () => {
  it('exit 0 and a summary when the RTL matches; --json is machine-readable', async () => {
    const r = await run(['verify', '--unit', GOOD, '--design', 'int8', '--seed', '3', '--cases', '50']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ok +acc_fixture int8 +152 cycles/m);
    expect(r.out).toContain('1 of 1 checks match (seed 3, 50 cases)');
    const j = await run(['verify', '--unit', GOOD, '--design', 'narrow', '--cases', '50', '--json']);
    expect(j.code).toBe(0);
    const doc = JSON.parse(j.out) as { ok: boolean; results: { unit: string; label: string; ok: boolean; cycles: number }[] };
    expect(doc.ok).toBe(true);
    expect(doc.results.map((x) => [x.unit, x.label, x.ok, x.cycles])).toEqual([['acc_fixture', 'narrow', true, 152]]);
  });

  it('--jobs 2 runs every design in the worker pool; --in-process runs through the koffi shim', async () => {
    const r = await run(['verify', '--unit', GOOD, '--cases', '40', '--jobs', '2']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('3 of 3 checks match (seed 1, 40 cases)');
    const ip = await run(['verify', '--unit', GOOD, '--design', 'acc40', '--cases', '40', '--in-process']);
    expect(ip.code).toBe(0);
    expect(ip.out).toContain('1 of 1 checks match (seed 1, 40 cases)');
    const bad = await run(['verify', '--unit', WRONG, '--design', 'acc40', '--cases', '40', '--in-process', '--vcd-dir', join(tmp, 'ipvcd')]);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('first mismatch: cycle 1, output valid_o (1 bits)');
    expect(existsSync(join(tmp, 'ipvcd', 'acc_fixture-acc40-seed1.vcd'))).toBe(true);
  });

  it('exit 1 with the mismatch report and a kept VCD when the model and the RTL disagree', async () => {
    const vcdDir = join(tmp, 'vcd');
    const r = await run(['verify', '--unit', WRONG, '--design', 'int8', '--seed', '9', '--cases', '30', '--vcd-dir', vcdDir]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('MISMATCH acc_fixture, design int8, seed 9, 30 cases (92 cycles)');
    expect(r.out).toContain('first mismatch: cycle 1, output valid_o (1 bits)');
    expect(r.out).toContain('expected 0x0 (0)');
    expect(r.out).toContain('actual   0x1 (1)');
    expect(r.out).toContain(`reproduce: lowbit verify --unit ${WRONG} --design int8 --seed 9 --cases 30 --keep-vcd`);
    expect(existsSync(join(vcdDir, 'acc_fixture-int8-seed9.vcd'))).toBe(true);
    expect(r.err).toContain('verify: 1 of 1 checks mismatch: acc_fixture/int8');
  });

  it('exit 2 for bad usage, an unknown unit, and a missing Verilator (with the install command)', async () => {
    expect((await run(['verify'])).code).toBe(2);
    const unknown = await run(['verify', '--unit', 'no_such_unit']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unit: got "no_such_unit"; allowed: one of mac_pe, mac_pe_shift, mac_array, requantizer, xnor_popcount/);
    const saved = process.env.LOWBIT_VERILATOR;
    process.env.LOWBIT_VERILATOR = join(tmp, 'missing-verilator');
    try {
      const r = await run(['verify', '--unit', GOOD, '--cases', '10']);
      expect(r.code).toBe(2);
      expect(r.err).toContain('apt-get install -y verilator');
    } finally {
      if (saved === undefined) delete process.env.LOWBIT_VERILATOR;
      else process.env.LOWBIT_VERILATOR = saved;
    }
  });
});
