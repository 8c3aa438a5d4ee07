import { describe, it, expect } from 'vitest';
import { intFormat, type IntFormat } from '../../src/arith/index.js';
import { bitSerialWords, packBitPlanes, XNOR_POPCOUNT_LATENCY } from '../../src/hw/index.js';
import { buildSim } from '../../src/rtl/build.js';
import { resolveRepoPath } from '../../src/rtl/paths.js';
import { runSimInProcess } from '../../src/rtl/inproc.js';
import { expectMatch } from './helpers/expect_match.js';
import { bitSerialOperands, wordToBig, xnorPopcountUnit } from '../../src/rtl/units/xnor_popcount.js';
import { Rng, testSeed } from '../../src/util/rng.js';

/**
 * Co-simulates hdl/xnor_popcount.sv against the TS model on three Designs (64 lanes / 16-bit / 1
 * threshold = the binary preset; 7 lanes / 8-bit / 3 thresholds / 5 channels with the acc_q trace;
 * 33 lanes / 31-bit / 2 thresholds), outputs compared bit-exactly every cycle; and checks the RTL's
 * bit-serial dot products against a plain integer dot product computed here.
 * test/slow/rtl_designs.test.ts and `lowbit verify --unit xnor_popcount` run the rest of the adapter's Designs
 * (1 and 256 lanes, a 32-bit accumulator).
 */
const SEED = testSeed(0x7e5a);
const CASES = 3000;

/** Co-simulates one Design and checks that its stimulus finishes many dot products (so the comparison bites). */
async function cosim(label: string, traced: boolean): Promise<void> {
  const r = await expectMatch('xnor_popcount', label, SEED, CASES);
  if (traced) expect(r.tracedRegisters).toBeGreaterThan(0);
  const { design } = xnorPopcountUnit.designs().find((d) => d.label === label)!;
  const outs = xnorPopcountUnit.model(design, xnorPopcountUnit.stimulus(design, SEED, CASES)).outputs;
  expect(outs.filter((o) => o[0] === 1n).length).toBeGreaterThan(100);
}

describe('xnor_popcount RTL vs TS model', () => {
  it('binary preset: 64 lanes, 16-bit accumulator, sign activation, 16 channels', async () => {
    await cosim('binary', false);
  });
  it('7 lanes, 8-bit accumulator (wraps), 3 thresholds, 5 channels — with the acc_q trace', async () => {
    await cosim('l7-acc8-t3-ch5', true);
  });
  it('33 lanes, 31-bit accumulator, 2 thresholds', async () => {
    await cosim('l33-acc31-t2', false);
  });

  it('bit-serial dot products from the RTL equal plain integer dot products (33 lanes)', async () => {
    const unit = xnorPopcountUnit;
    const { design } = unit.designs().find((d) => d.label === 'l33-acc31-t2')!;
    const ports = unit.ports(design);
    const built = await buildSim({
      unit: unit.name, top: unit.top, files: unit.hdlFiles(design).map(resolveRepoPath),
      parameters: unit.parameters(design), ports, trace: true, kind: 'lib', // in process, as verify's default (without acc_q's trace words)
    });
    const lanes = 33;
    const rng = new Rng(SEED);
    const formats: [IntFormat, IntFormat][] = [
      [intFormat(8, true), intFormat(8, true)],
      [intFormat(8, false), intFormat(8, true)],
      [intFormat(4, true), intFormat(4, false)],
      [intFormat(2, true), intFormat(3, true)],
      [intFormat(1, false), intFormat(1, false)],
      [intFormat(16, true), intFormat(7, true)],
    ];
    const stim: bigint[][] = [];
    const want: number[] = [];
    const lastCycle: number[] = [];
    for (let rep = 0; rep < 4; rep++) {
      for (const [fx, fy] of formats) {
        const n = rng.int(1, 100);
        const { x, y } = bitSerialOperands(rng, n, fx, fy);
        let dot = 0;
        for (let i = 0; i < n; i++) dot += x[i] * y[i];
        want.push(dot);
        for (const b of bitSerialWords(packBitPlanes(x, fx), fx, packBitPlanes(y, fy), fy, n, lanes)) {
          // thr_we, thr_ch, thr_idx, thr_val, valid, first, last, and, neg, shift, nbits, ch, a, w, stall
          stim.push([0n, 0n, 0n, 0n, 1n, b.first ? 1n : 0n, b.last ? 1n : 0n, 1n, b.neg ? 1n : 0n,
            BigInt(b.shift), BigInt(b.nbits), 0n, wordToBig(b.a), wordToBig(b.w), 0n]);
        }
        lastCycle.push(stim.length - 1);
      }
    }
    for (let t = 0; t < XNOR_POPCOUNT_LATENCY + 1; t++) stim.push(new Array(15).fill(0n));
    const run = runSimInProcess(built, unit.name, ports, stim);
    const got: number[] = [];
    const at: number[] = [];
    for (let t = 0; t < stim.length; t++) {
      if (run.outputs[t][0] === 1n) {
        got.push(Number(BigInt.asIntN(31, run.outputs[t][1])));
        at.push(t);
      }
    }
    expect(got, `seed ${SEED}`).toEqual(want);
    expect(at).toEqual(lastCycle.map((c) => c + XNOR_POPCOUNT_LATENCY));
  });
});
