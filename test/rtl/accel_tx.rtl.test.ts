import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileModel } from '../../src/hw/accel_compile.js';
import { runAccelerator } from '../../src/hw/accel_top.js';
import { PRESETS } from '../../src/hw/presets.js';
import type { Design } from '../../src/hw/design.js';
import { integerInference } from '../../src/model/infer.js';
import { MAKE_VARS } from '../../src/rtl/build.js';
import { expectedHash, txAccelerator } from '../../src/rtl/accel_tx.js';
import { hostState, imageWords, type AccelCapacity } from '../../src/rtl/accel_top.js';
import { resolveRepoPath } from '../../src/rtl/paths.js';
import { Rng, testSeed } from '../../src/util/rng.js';
import { accelCases, inputsFor } from '../unit/fixtures/accel_models.js';

/**
 * Transaction-level co-simulation of the whole accelerator (src/rtl/accel_tx.ts, sim/accel.cpp): the RTL's
 * outputs, cycle counts and the hash of every port in every cycle agree with the TS model, in process
 * (koffi) and through simulator processes, sharded over 2 jobs in chunks; and a mutant that only changes a
 * port while the accelerator is busy (no output value, no cycle count) is caught by the hash and localised
 * by the per-cycle re-run to its first differing cycle and port. Builds at -O1 here (short runs).
 */
const seed = testSeed(11);
const cases = accelCases();
const byLabel = (prefix: string) => cases.find((c) => c.label.startsWith(prefix))!;
const mixed: Design = { ...structuredClone(PRESETS.tiny), name: 'tiny-mixed', xnor: { bitsPerCycle: 32, thresholds: 3 } };
const capacity: AccelCapacity = { wDepth: 512, pDepth: 64, actWords: 8, outDepth: 16, layers: 4 };
const tmp = mkdtempSync(join(tmpdir(), 'lowbit-tx-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function program(label: string) {
  const c = byLabel(label);
  const rng = new Rng(seed ^ c.salt);
  const m = c.model(rng);
  return { m, p: compileModel(m, mixed), x: inputsFor(rng, m, 7) };
}

describe('accel_top, transaction level == TS model (hash of every port every cycle)', () => {
  for (const mode of ['inproc', 'process'] as const) {
    it(`${mode}: 7 images in chunks of 2 over 2 jobs, ${['w8a8 double', 'xnor', 'w4a2 multi-threshold'].join(', ')} (seed ${seed})`, async () => {
      for (const label of ['w8a8 double', 'xnor', 'w4a2 multi-threshold']) {
        const { m, p, x } = program(label);
        const ref = integerInference(m, x).output;
        const r = await txAccelerator(p, x, 7, { capacity, mode, jobs: 2, chunk: 2, makeVars: MAKE_VARS });
        const where = `${label}: LOWBIT_SEED=${seed}`;
        expect(r.disagreement, where).toBeUndefined();
        expect(r.stopped, where).toBeUndefined();
        expect([r.images, r.agree, r.jobs], where).toEqual([7, 7, 2]);
        expect(Array.from(r.checked), where).toEqual([1, 1, 1, 1, 1, 1, 1]);
        expect(Array.from(r.outputs), where).toEqual(Array.from(ref));
        expect(r.cycles, where).toBe(runAccelerator(p, x.subarray(0, p.inputElems), 1).cycles);
        expect(r.build.kind).toBe(mode === 'inproc' ? 'accel-lib' : 'accel');
      }
    });
  }

  it('a run past its time limit stops before the next chunk and says so, with what it checked', async () => {
    const { p, x } = program('xnor');
    const r = await txAccelerator(p, x, 7, { capacity, jobs: 1, chunk: 2, seconds: 0, makeVars: MAKE_VARS });
    expect(r.stopped).toBe('the time limit of 0 s');
    expect([r.images, r.agree]).toEqual([0, 0]);
    expect(Array.from(r.checked)).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(r.disagreement).toBeUndefined();
  });

  it('the expected hash depends on every predicted port value and on the state left by the previous image', () => {
    const { p, x } = program('w8a8 double');
    const model = runAccelerator(p, x.subarray(0, 2 * p.inputElems), 2);
    const E = p.outputElems;
    const w0 = imageWords(p, x, 0);
    const h = (outs: Int32Array, T: number, st = hostState(E)): number => expectedHash(w0, outs, T, st);
    const base = h(model.outputs.subarray(0, E), model.cycles);
    const other = model.outputs.slice(0, E);
    other[E - 1] ^= 1;
    expect(h(other, model.cycles)).not.toBe(base);
    expect(h(model.outputs.subarray(0, E), model.cycles + 1)).not.toBe(base);
    const after = hostState(E);
    expectedHash(imageWords(p, x, 1), model.outputs.subarray(E, 2 * E), model.cycles, after);
    expect(h(model.outputs.subarray(0, E), model.cycles, after)).not.toBe(base);
  });

  it('a mutant driving out_data_o while busy is caught by the hash and localised cycle by cycle', async () => {
    const hdl = join(tmp, 'hdl');
    cpSync(resolveRepoPath('hdl'), hdl, { recursive: true });
    const f = join(hdl, 'accel_top.sv');
    const src = readFileSync(f, 'utf8');
    const pattern = "out_data_o <= (state_q == SIdle || state_q == SDone) ? out_q[out_addr_i] : '0;";
    expect(src.includes(pattern), 'mutation pattern in hdl/accel_top.sv').toBe(true);
    writeFileSync(f, src.replace(pattern, 'out_data_o <= out_q[out_addr_i];'));
    const { m, p, x: all } = program('w8a8 double');
    const x = all.subarray(0, 3 * p.inputElems);
    const r = await txAccelerator(p, x, 3, { capacity, hdlDir: hdl, chunk: 3, jobs: 1, makeVars: MAKE_VARS, vcdPath: join(tmp, 'mutant.vcd') });
    // the outputs and cycle counts are right: only the hash of the per-cycle ports differs
    expect(Array.from(r.outputs)).toEqual(Array.from(integerInference(m, x).output));
    expect(r.agree).toBeLessThan(3);
    const d = r.disagreement!;
    expect(d.what).toBe('port hash');
    expect(d.image).toBe(0); // the last layer fills the output buffer while busy: the mutant shows it early
    expect(d.signal).toBe('out_data_o');
    expect(d.cycle).toBeGreaterThan(0);
    expect(readFileSync(join(tmp, 'mutant.vcd'), 'utf8')).toContain('out_data_o');
  }, 1_200_000); // two builds (the mutant, then the traced per-cycle re-run): 631 s at load average ~24
});
