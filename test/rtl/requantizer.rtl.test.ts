import { describe, it, expect } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROUNDINGS, roundShift } from '../../src/arith/index.js';
import { buildSim } from '../../src/rtl/build.js';
import { resolveRepoPath } from '../../src/rtl/paths.js';
import { runSim } from '../../src/rtl/run.js';
import type { PortSpec } from '../../src/rtl/unit.js';
import { expectMatch } from './helpers/expect_match.js';
import { testSeed } from '../../src/util/rng.js';

/**
 * Co-simulates hdl/requantizer.sv against the TS model on the preset Designs (double, single and shift
 * rounding), outputs compared bit-exactly every cycle, plus the stage-2 register through the VCD; and
 * checks hdl/round_shift.sv exhaustively for all 8 rounding modes against arith's roundShift.
 * test/slow/rtl_designs.test.ts and `lowbit verify --unit requantizer` run the rest of the adapter's Designs.
 */
const SEED = testSeed(0x2e9a);
const CASES = 3000;

/** A test-only wrapper: the 8 rounding modes of round_shift side by side, outputs registered. */
const ROUND_ALL = `\`default_nettype none
module round_shift_all #(parameter int unsigned Width = 8) (
  input  logic clk_i, input logic rst_ni,
  input  logic [Width-1:0] x_i, input logic [$clog2(Width + 1)-1:0] n_i,
  output logic [8*Width-1:0] y_o
);
  logic [8*Width-1:0] y;
  for (genvar r = 0; r < 8; r++) begin : g_mode
    round_shift #(.Width(Width), .Rounding(r)) u_rs (.x_i(x_i), .n_i(n_i), .y_o(y[r*Width +: Width]));
  end
  always_ff @(posedge clk_i) begin
    if (!rst_ni) y_o <= '0;
    else y_o <= y;
  end
endmodule
`;

describe('requantizer RTL vs TS model', () => {
  it('int8: TFLite double rounding, per-channel (16 channels), out int8 — with the s2_q trace', async () => {
    const r = await expectMatch('requantizer', 'int8', SEED, CASES);
    expect(r.tracedRegisters).toBeGreaterThan(0);
  });
  it('int2: TFLite single rounding, 16-bit accumulator, out int2', async () => {
    await expectMatch('requantizer', 'int2', SEED, CASES);
  });
  it('binary: shift-only TRN, out 1-bit signed', async () => {
    await expectMatch('requantizer', 'binary', SEED, CASES);
  });

  it('round_shift: every x (8 bits) and n 0..8 in all 8 rounding modes equals arith roundShift', async () => {
    const W = 8;
    const dir = mkdtempSync(join(tmpdir(), 'lowbit-rs-'));
    try {
      const top = join(dir, 'round_shift_all.sv');
      writeFileSync(top, ROUND_ALL);
      const ports: PortSpec[] = [
        { name: 'x_i', dir: 'in', width: W },
        { name: 'n_i', dir: 'in', width: 4 },
        { name: 'y_o', dir: 'out', width: 8 * W },
      ];
      const built = await buildSim({
        unit: 'round_shift_all', top: 'round_shift_all', files: [top, resolveRepoPath('hdl/round_shift.sv')],
        parameters: { Width: W }, ports, trace: false,
      });
      const stim: bigint[][] = [];
      for (let n = 0; n <= W; n++) for (let x = -128; x < 128; x++) stim.push([BigInt(x), BigInt(n)]);
      stim.push([0n, 0n]);
      const run = await runSim(built, 'round_shift_all', ports, stim);
      for (let t = 0; t + 1 < stim.length; t++) {
        const x = Number(BigInt.asIntN(W, stim[t][0]));
        const n = Number(stim[t][1]);
        const y = run.outputs[t + 1][0];
        for (const [r, mode] of ROUNDINGS.entries()) {
          const got = Number(BigInt.asIntN(W, (y >> BigInt(r * W)) & 0xffn));
          // n = 0 is the identity and n >= 1 always fits W bits, so the exact result is comparable as is
          const want = Number(BigInt.asIntN(W, BigInt(roundShift(x, n, mode))));
          if (got !== want) expect.fail(`round_shift ${mode}: x ${x} n ${n}: arith ${want}, RTL ${got}`);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
