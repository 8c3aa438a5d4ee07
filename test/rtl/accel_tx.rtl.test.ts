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
import { cosimAccelerator, hostState, runWords, type AccelCapacity } from '../../src/rtl/accel_top.js';
import { resolveRepoPath } from '../../src/rtl/paths.js';
import { Rng, testSeed } from '../../src/util/rng.js';
import { accelCases, inputsFor } from '../unit/fixtures/accel_models.js';

/**
 * Transaction-level co-simulation of the whole accelerator (src/rtl/accel_tx.ts, sim/accel.cpp): the RTL's
 * outputs, cycle counts and the hash of every port in every cycle agree with the TS model, in process
 * (koffi) and through simulator processes, sharded over 2 jobs in chunks, one image per run and MLP batches
 * of 4 images per run (one per array row, a partial last run); a wrong expectation for one image of a
 * batched run is attributed to that image and its run, and so is a mutant corrupting the second image of
 * every run (named by image, element, cycle and port); and a mutant that only changes a port while the
 * accelerator is busy (no output value, no cycle count) is caught by the hash and localised by the
 * per-cycle re-run to its first differing cycle and port, at batch 1 and 4. Builds at -O1 here (short runs);
 * one capacity fits every program, so each harness kind is built once.
 */
const seed = testSeed(11);
const cases = accelCases();
const byLabel = (prefix: string) => cases.find((c) => c.label.startsWith(prefix))!;
const mixed: Design = { ...structuredClone(PRESETS.tiny), name: 'tiny-mixed', xnor: { bitsPerCycle: 32, thresholds: 3 } };
const capacity: AccelCapacity = { wDepth: 512, pDepth: 64, actWords: 32, outDepth: 64, layers: 4 };
const tmp = mkdtempSync(join(tmpdir(), 'lowbit-tx-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function program(label: string, batch = 1) {
  const c = byLabel(label);
  const rng = new Rng(seed ^ c.salt);
  const m = c.model(rng);
  return { m, p: compileModel(m, mixed, { batch }), x: inputsFor(rng, m, 7) };
}
const LABELS = ['w8a8 double', 'xnor', 'w4a2 multi-threshold'];

/** A copy of hdl/ in `tmp/name` with `pattern` in accel_top.sv replaced (it must occur). */
function mutantHdl(name: string, pattern: string, replacement: string): string {
  const hdl = join(tmp, name);
  cpSync(resolveRepoPath('hdl'), hdl, { recursive: true });
  const f = join(hdl, 'accel_top.sv');
  const src = readFileSync(f, 'utf8');
  expect(src.includes(pattern), `mutation pattern in hdl/accel_top.sv: ${pattern}`).toBe(true);
  writeFileSync(f, src.replace(pattern, replacement));
  return hdl;
}

describe('accel_top, transaction level == TS model (hash of every port every cycle)', () => {
  for (const mode of ['inproc', 'process'] as const) {
    it(`${mode}: 7 images in chunks of 2 over 2 jobs, ${LABELS.join(', ')} (seed ${seed})`, async () => {
      for (const label of LABELS) {
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

  it(`batches of 4 images per run (one per array row; the last run 3 images): TS == RTL == reference per image (seed ${seed})`, async () => {
    for (const label of LABELS) {
      const { m, p, x } = program(label, 4);
      expect(p.images).toBe(4);
      const ref = integerInference(m, x).output;
      // chunks of 4 (one run each) over 2 jobs, then one chunk of 2 runs (rounded up from 5 images)
      for (const [chunk, jobs] of [[4, 2], [5, 1]] as const) {
        const r = await txAccelerator(p, x, 7, { capacity, jobs, chunk, makeVars: MAKE_VARS });
        const where = `${label}, chunk ${chunk}: LOWBIT_SEED=${seed}`;
        expect(r.disagreement, where).toBeUndefined();
        expect([r.images, r.agree, r.imagesPerRun, r.jobs], where).toEqual([7, 7, 4, jobs]);
        expect(Array.from(r.outputs), where).toEqual(Array.from(ref));
        expect(r.cycles, where).toBe(runAccelerator(p, x, 7).cycles);
        // the per-cycle co-simulation of the same batched program agrees on every port every cycle
        if (chunk === 4) expect((await cosimAccelerator(p, x, 7, { capacity })).mismatch, where).toBeUndefined();
      }
    }
  });

  it('a wrong output of one image of a batched run is that image\'s, and its whole run disagrees', async () => {
    const { p, x } = program('w4a2 multi-threshold', 4);
    const E = p.outputElems;
    const expected = runAccelerator(p, x, 7).outputs.slice();
    expected[5 * E + 1] += 1; // image 5: the second of the last run (images 4..6)
    const r = await txAccelerator(p, x, 7, { capacity, jobs: 1, chunk: 8, expected, makeVars: MAKE_VARS });
    expect([r.images, r.agree]).toEqual([7, 4]);
    const d = r.disagreement!;
    expect([d.what, d.image, d.element, d.expected, d.actual]).toEqual(['outputs', 5, 1, expected[5 * E + 1], expected[5 * E + 1] - 1]);
    // the RTL and the model agree cycle by cycle: the re-run (runs 0 and 1 from reset) cannot reproduce it
    expect(d.signal).toBe('(not reproduced cycle by cycle from reset with images 0..6)');
  });

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
    const w0 = runWords(p, x, 0);
    const h = (outs: Int32Array, T: number, st = hostState(E)): number => expectedHash(w0, outs, T, st);
    const base = h(model.outputs.subarray(0, E), model.cycles);
    const other = model.outputs.slice(0, E);
    other[E - 1] ^= 1;
    expect(h(other, model.cycles)).not.toBe(base);
    expect(h(model.outputs.subarray(0, E), model.cycles + 1)).not.toBe(base);
    const after = hostState(E);
    expectedHash(runWords(p, x, 1), model.outputs.subarray(E, 2 * E), model.cycles, after);
    expect(h(model.outputs.subarray(0, E), model.cycles, after)).not.toBe(base);
  });

  it('a mutant corrupting the second image of every batched run is named by image, element, cycle and port', async () => {
    // output pixel m = 1 (the run's second image, array row 1) gets its lowest bit flipped
    const hdl = mutantHdl('hdl-row1', 'default: out_q[w_idx[c*32 +: OutAW]] <= c_v_q[c*32 +: 32];',
      "default: out_q[w_idx[c*32 +: OutAW]] <= c_v_q[c*32 +: 32] ^ {31'b0, c_pl_q.m == 1};");
    const { p, x: all } = program('w8a8 double', 4);
    const x = all.subarray(0, 6 * p.inputElems);
    const model = runAccelerator(p, x, 6);
    const E = p.outputElems;
    const r = await txAccelerator(p, x, 6, { capacity, hdlDir: hdl, chunk: 8, jobs: 1, makeVars: MAKE_VARS });
    const where = `LOWBIT_SEED=${seed}`;
    // images 1 and 5 (row 1 of runs 0..3 and 4..5) come out wrong, so both runs disagree
    for (let b = 0; b < 6; b++) {
      for (let e = 0; e < E; e++) expect(r.outputs[b * E + e], `${where} image ${b}`).toBe(b % 4 === 1 ? model.outputs[b * E + e] ^ 1 : model.outputs[b * E + e]);
    }
    expect(r.agree, where).toBe(0);
    const d = r.disagreement!;
    expect([d.what, d.image, d.element, d.expected, d.actual], where).toEqual(['outputs', 1, 0, model.outputs[E], model.outputs[E] ^ 1]);
    // the re-run of run 0: W input words, start, done at W + T, output e of the run on out_data_o in cycle
    // W + T + e + 1; image 1's element 0 is output E
    expect([d.cycle, d.signal], where).toEqual([runWords(p, x, 0).length + model.cycles + E + 1, 'out_data_o']);
  }, 1_200_000); // two builds of the mutant (transaction harness, per-cycle harness)

  it('a mutant driving out_data_o while busy is caught by the hash and localised cycle by cycle', async () => {
    const hdl = mutantHdl('hdl', "out_data_o <= (state_q == SIdle || state_q == SDone) ? out_q[out_addr_i] : '0;", 'out_data_o <= out_q[out_addr_i];');
    // batch 1 and batch 4 share the mutant's two builds (the transaction harness, the traced per-cycle one)
    for (const batch of [1, 4]) {
      const { m, p, x: all } = program('w8a8 double', batch);
      const x = all.subarray(0, 6 * p.inputElems);
      const vcd = join(tmp, `mutant-${batch}.vcd`);
      const r = await txAccelerator(p, x, 6, { capacity, hdlDir: hdl, chunk: 8, jobs: 1, makeVars: MAKE_VARS, vcdPath: vcd });
      const where = `batch ${batch}: LOWBIT_SEED=${seed}`;
      // the outputs and cycle counts are right: only the hash of the per-cycle ports differs
      expect(Array.from(r.outputs), where).toEqual(Array.from(integerInference(m, x).output));
      expect(r.agree, where).toBeLessThan(6);
      const d = r.disagreement!;
      expect(d.what, where).toBe('port hash');
      expect(d.image, where).toBe(0); // the last layer fills the output buffer while busy: the mutant shows it early
      expect(d.signal, where).toBe('out_data_o');
      // the first run's W input words, its start cycle, then busy cycles until the output buffer changes
      const W = runWords(p, x, 0).length;
      expect(d.cycle, where).toBeGreaterThan(W);
      expect(d.cycle, where).toBeLessThan(W + runAccelerator(p, x, 6).cycles);
      expect(readFileSync(vcd, 'utf8'), where).toContain('out_data_o');
    }
  }, 1_200_000); // two builds (the mutant, then the traced per-cycle re-run): 631 s at load average ~24
});
