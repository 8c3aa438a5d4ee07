import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { buildSim } from '../../src/rtl/build.js';
import { runSimInProcessWords, runSimInProcessWordsAsync } from '../../src/rtl/inproc.js';
import { resolveRepoPath } from '../../src/rtl/paths.js';
import type { UnitSpec } from '../../src/rtl/unit.js';
import { maxPoolUnit } from '../../src/rtl/units/max_pool.js';
import { verifySpec, type VerifyJob } from '../../src/rtl/verify.js';
import { testSeed } from '../../src/util/rng.js';

// Where `lowbit verify` simulates (src/rtl/verify.ts `defaultInProcess`): a registered unit's own RTL in this
// process (the koffi shim, an asynchronous call), a mutant as a harness process; both give the same result and
// the same mismatch report and VCD (the report is what the user reads: it must not depend on the path).
const seed = testSeed(2312);
const tmp = mkdtempSync(join(tmpdir(), 'lowbit-verify-inproc-'));
const { label, design } = maxPoolUnit.designs()[0];
const job: VerifyJob = { unit: 'max_pool', label, design, seed, cases: 3000, vcdDir: join(tmp, 'vcd') };
/** the build folder's kind: `<unit>-lib-<hash>` for the shared library, `<unit>-<hash>` for the executable */
const kind = (dir: string): string => (basename(dir).startsWith('max_pool-lib-') ? 'lib' : 'exe');

describe('verify: in process by default for the registered units', () => {
  it('max_pool matches in process (default) and as a process (inProcess: false)', async () => {
    const inproc = await verifySpec(maxPoolUnit, job);
    const proc = await verifySpec(maxPoolUnit, { ...job, inProcess: false });
    expect([inproc.ok, proc.ok]).toEqual([true, true]);
    expect([kind(inproc.build.dir), kind(proc.build.dir)]).toEqual(['lib', 'exe']);
    expect(inproc.cycles).toBe(proc.cycles);
  });

  it('a mutant runs as a process', async () => {
    // the unchanged RTL as an override: a mutant's path, without a mutation
    const src = join(tmp, 'max_pool.sv');
    writeFileSync(src, readFileSync(resolveRepoPath('hdl/max_pool.sv'), 'utf8'));
    const r = await verifySpec(maxPoolUnit, { ...job, hdlOverride: { 'hdl/max_pool.sv': src } });
    expect(r.ok).toBe(true);
    expect(kind(r.build.dir)).toBe('exe');
  });

  it('a model one bit off at cycle 1000: the same report and VCD in process and as a process', async () => {
    const fast = maxPoolUnit.words!;
    // y_o is max_pool's only output port: one word per cycle
    const wrong: UnitSpec = { ...maxPoolUnit, words: { ...fast, model: (d, s, run) => { const m = fast.model(d, s, run); m.outputs[1000] ^= 1; return m; } } };
    const proc = await verifySpec(wrong, { ...job, inProcess: false });
    const vcdProc = readFileSync(proc.vcd!, 'utf8');
    const inproc = await verifySpec(wrong, job);
    expect(kind(inproc.build.dir)).toBe('lib');
    expect(inproc.ok).toBe(false);
    expect(inproc.mismatch).toMatchObject({ cycle: 1000, signal: 'y_o' });
    expect(inproc.report).toBe(proc.report);
    const body = (s: string): string => s.replace(/^[\s\S]*?\$timescale/, '');
    expect(body(readFileSync(inproc.vcd!, 'utf8'))).toBe(body(vcdProc));
  });

  it('a stimulus of the wrong length is refused before the simulator reads it (in process a wrong size would read past the array)', async () => {
    const ports = maxPoolUnit.ports(design);
    const files = maxPoolUnit.hdlFiles(design).map(resolveRepoPath);
    const lib = await buildSim({ unit: 'max_pool', top: maxPoolUnit.top, files, parameters: maxPoolUnit.parameters(design), ports, trace: true, kind: 'lib', traced: [] });
    expect(() => runSimInProcessWords(lib, 'max_pool', ports, new Uint32Array(7), 100)).toThrow(/7 stimulus words for 100 cycles/);
    await expect(runSimInProcessWordsAsync(lib, 'max_pool', ports, new Uint32Array(7), 100)).rejects.toThrow(/7 stimulus words for 100 cycles/);
  });
});
