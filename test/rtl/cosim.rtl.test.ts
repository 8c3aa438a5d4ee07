import { describe, it, expect } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSim, type BuildRequest } from '../../src/rtl/build.js';
import { runSimInProcess } from '../../src/rtl/inproc.js';
import { runSim } from '../../src/rtl/run.js';
import { resolveRepoPath } from '../../src/rtl/paths.js';
import { selectDesigns, verifyJob, type VerifyJob } from '../../src/rtl/verify.js';
import { ToolError } from '../../src/util/errors.js';
import { testSeed } from '../../src/util/rng.js';
import { accFixture } from './fixtures/acc_fixture.unit.js';

// Co-simulation machinery on the fixture unit (test/rtl/fixtures/acc_fixture.sv): real Verilator builds.
const UNIT = 'test/rtl/fixtures/acc_fixture.unit.ts';
const RTL = 'test/rtl/fixtures/acc_fixture.sv';
const seed = testSeed(20261127);
const tmp = mkdtempSync(join(tmpdir(), 'lowbit-cosim-test-'));
console.log(`cosim.rtl.test seed ${seed} (LOWBIT_SEED=${seed} reproduces)`);

/** A copy of the fixture RTL with one text replacement, as an hdlOverride. */
function variant(name: string, from: string, to: string): Record<string, string> {
  const src = readFileSync(resolveRepoPath(RTL), 'utf8');
  expect(src.includes(from)).toBe(true);
  const p = join(tmp, name);
  writeFileSync(p, src.replace(from, to));
  return { [RTL]: p };
}

function job(label: string, extra: Partial<VerifyJob> = {}): VerifyJob {
  const d = selectDesigns(accFixture, label)[0];
  return { unit: UNIT, label, design: d.design, seed, cases: 300, vcdDir: join(tmp, 'vcd'), ...extra };
}

describe('co-simulation of the fixture unit', () => {
  it('matches the TS model on every design: outputs every cycle (incl. 33..64-bit and 80-bit ports) and traced registers', async () => {
    for (const { label } of accFixture.designs()) {
      const r = await verifyJob(job(label));
      expect(r.report).toBeUndefined();
      expect(r.ok).toBe(true);
      expect(r.cycles).toBe(2 * 64 + 1 + 300 + 1);
      expect(r.tracedRegisters).toBe(2);
      expect(r.vcd).toBeUndefined();
    }
  });

  it('a wrong output is reported with unit, design, cycle, values, seed, reproduce command and a kept VCD', async () => {
    const r = await verifyJob(job('int8', { hdlOverride: variant('sub.sv', 'acc_q <= acc_q + x_ext;', 'acc_q <= acc_q - x_ext;') }));
    expect(r.ok).toBe(false);
    expect(r.mismatch).toMatchObject({ kind: 'output', cycle: 1, signal: 'acc_o', width: 32, expected: 127n, actual: 2n ** 32n - 127n });
    expect(r.report).toContain('MISMATCH acc_fixture, design int8, seed ' + seed);
    expect(r.report).toContain('first mismatch: cycle 1, output acc_o (32 bits)');
    expect(r.report).toContain('expected 0x0000007f (127)');
    expect(r.report).toContain('actual   0xffffff81 (4294967169; signed -127)');
    expect(r.report).toContain(`reproduce: lowbit verify --unit ${UNIT} --design int8 --seed ${seed} --cases 300 --keep-vcd`);
    expect(r.vcd).toBeDefined();
    expect(existsSync(r.vcd!)).toBe(true);
    expect(readFileSync(r.vcd!, 'utf8')).toContain('$timescale 1ns $end');
  });

  it('a fault visible only in an internal register is caught through the traced registers', async () => {
    const r = await verifyJob(job('narrow', { hdlOverride: variant('cnt.sv', "cnt_q <= cnt_q + 16'd1;", "cnt_q <= cnt_q + 16'd2;") }));
    expect(r.ok).toBe(false);
    expect(r.outputCycles).toBe(0);
    expect(r.badRegisters).toBe(1);
    expect(r.mismatch).toMatchObject({ kind: 'trace', cycle: 1, signal: 'cnt_q (model: cnt)', expected: 1n, actual: 2n });
  });

  it('an unchanged design is never rebuilt; any changed source always is', async () => {
    const cacheDir = join(tmp, 'cache');
    const d = accFixture.designs()[0].design;
    const req: BuildRequest = {
      unit: 'acc_fixture', top: 'acc_fixture', files: [resolveRepoPath(RTL)], parameters: accFixture.parameters(d),
      ports: accFixture.ports(d), trace: true,
    };
    const [a, b] = await Promise.all([buildSim(req, { cacheDir }), buildSim(req, { cacheDir })]); // concurrent: both succeed
    expect(a.dir).toBe(b.dir);
    expect(existsSync(a.exe)).toBe(true);
    const again = await buildSim(req, { cacheDir });
    expect(again.cached).toBe(true);
    expect(again.hash).toBe(a.hash);
    const changed = await buildSim({ ...req, files: [variant('comment.sv', '// acc_fixture:', '// acc_fixture (edited):')[RTL]] }, { cacheDir });
    expect(changed.cached).toBe(false);
    expect(changed.hash).not.toBe(a.hash);
    const reparam = await buildSim({ ...req, parameters: { ...req.parameters, AccWidth: 24 } }, { cacheDir });
    expect(reparam.cached).toBe(false);
    expect(reparam.dir).not.toBe(a.dir);
  });

  it('a failed build is a ToolError with the compiler message; a missing Verilator names the install command', async () => {
    const bad = job('int8', { hdlOverride: variant('syntax.sv', 'acc_q <= acc_q + x_ext;', 'acc_q <= acc_q + ;'), cacheDir: join(tmp, 'cache') });
    const err = await verifyJob(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolError);
    expect((err as Error).message).toMatch(/acc_fixture: Verilator build failed[\s\S]*%Error[\s\S]*syntax\.sv/);
    const saved = process.env.LOWBIT_VERILATOR;
    process.env.LOWBIT_VERILATOR = join(tmp, 'no-such-verilator');
    try {
      const e2 = await verifyJob(job('int8')).catch((e: unknown) => e);
      expect(e2).toBeInstanceOf(ToolError);
      expect((e2 as Error).message).toContain('apt-get install -y verilator');
    } finally {
      if (saved === undefined) delete process.env.LOWBIT_VERILATOR;
      else process.env.LOWBIT_VERILATOR = saved;
    }
  });

  it('the in-process path (shared library through koffi) gives the same outputs and VCD as the process harness', async () => {
    const d = selectDesigns(accFixture, 'acc40')[0].design;
    const ports = accFixture.ports(d);
    const req: BuildRequest = {
      unit: 'acc_fixture', top: 'acc_fixture', files: [resolveRepoPath(RTL)], parameters: accFixture.parameters(d), ports, trace: true,
    };
    const exe = await buildSim(req);
    const lib = await buildSim({ ...req, kind: 'lib' });
    expect(lib.exe.endsWith('libsim.so')).toBe(true);
    expect(lib.dir).not.toBe(exe.dir);
    const stim = accFixture.stimulus(d, seed, 2000);
    const a = await runSim(exe, 'acc_fixture', ports, stim, { vcdPath: join(tmp, 'proc.vcd') });
    const b = runSimInProcess(lib, 'acc_fixture', ports, stim, { vcdPath: join(tmp, 'inproc.vcd') });
    expect(b.outputs).toEqual(a.outputs);
    const body = (f: string): string => readFileSync(join(tmp, f), 'utf8').replace(/^[\s\S]*?\$timescale/, '');
    expect(body('inproc.vcd')).toBe(body('proc.vcd'));
    expect(() => runSimInProcess(exe, 'acc_fixture', ports, stim)).toThrow(ToolError);
  });
});
