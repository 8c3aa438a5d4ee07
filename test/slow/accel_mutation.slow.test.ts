import { describe, it, expect } from 'vitest';
import { Rng, testSeed } from '../../src/util/rng.js';
import { compileModel } from '../../src/hw/accel_compile.js';
import { runAccelMutant } from '../../src/rtl/accel_top.js';
import { ACCEL_MUTATIONS } from '../../src/rtl/mutations.js';
import { PRESETS } from '../../src/hw/presets.js';
import type { Design } from '../../src/hw/design.js';
import { cnnCases, inputsFor } from '../unit/fixtures/accel_models.js';
import { dense, pow2Mlp } from '../unit/fixtures/pow2_models.js';

/**
 * Every mutation of the accelerator's CNN datapath (ACCEL_MUTATIONS) is killed: co-simulating the random
 * CNNs of test/rtl/accel_cnn.rtl.test.ts on the mutant mismatches the TS model (one Verilator build per
 * mutant, so this is the slow tier).
 */
const seed = testSeed(15);
const cnn = cnnCases();
const mixed: Design = { ...structuredClone(PRESETS.tiny), name: 'tiny-mixed', xnor: { bitsPerCycle: 32, thresholds: 3 } };
const bin = cnn.find((c) => c.label.startsWith('cnn xnor'))!.design;
const capacity = { wDepth: 512, pDepth: 64, actWords: 32, outDepth: 32, layers: 4 };

function jobs(design: Design, labels: string[]) {
  return labels.flatMap((label) => {
    const c = cnn.find((k) => k.label.startsWith(label))!;
    const rng = new Rng(seed ^ c.salt);
    const m = c.model(rng);
    const x = inputsFor(rng, m, 1);
    return [1, design.array.rows].map((batch) => ({ label: `${label} batch ${batch}`, program: compileModel(m, design, { batch }), x, batch: 1 }));
  });
}

/** Power-of-two MLPs on the tiny array of shift PEs (as test/rtl/mac_pe_shift.rtl.test.ts), batch 1 and a full array. */
function shiftJobs() {
  const d: Design = { ...structuredClone(PRESETS.tiny), name: 'tiny-shift' };
  d.array.pe = 'shift';
  const rng = new Rng(seed ^ 0x5f1);
  const m = pow2Mlp(rng);
  if (dense(m).length !== 3) throw new Error('pow2Mlp: expected 3 dense layers');
  return [1, d.array.rows].map((batch) => {
    const program = compileModel(m, d, { batch });
    if (program.layers.some((l) => l.engine !== 'mac')) throw new Error('every layer of a power-of-two MLP runs on the shift array');
    return { label: `pow2 mlp batch ${batch}`, program, x: inputsFor(rng, m, 1), batch: 1 };
  });
}

describe('accel_top CNN mutants are killed by co-simulation', () => {
  for (const mut of ACCEL_MUTATIONS) {
    it(`${mut.id}: ${mut.description}`, async () => {
      const j = mut.designs?.includes('tiny-shift') ? shiftJobs()
        : mut.designs?.includes('binary-32') ? jobs(bin, ['cnn xnor', 'cnn serial', 'cnn same xnor', 'cnn same serial']) : jobs(mixed, ['cnn uint8', 'cnn w8a8']);
      const r = await runAccelMutant(mut, j, { capacity });
      process.stderr.write(`[accel mutation] ${mut.id}: ${r.how}${r.by ? ` by ${r.by}` : ''}${r.cycle !== undefined ? ` at cycle ${r.cycle} (${r.signal})` : ''}\n`);
      expect(r.killed, `${mut.id} survived (LOWBIT_SEED=${seed})`).toBe(true);
    });
  }
});
