import { describe, it, expect } from 'vitest';
import { intFormat } from '../../src/arith/format.js';
import { Rng, testSeed } from '../../src/util/rng.js';
import { compileModel } from '../../src/hw/accel_compile.js';
import { integerInference } from '../../src/model/infer.js';
import { cosimAccelerator, type AccelCapacity } from '../../src/rtl/accel_top.js';
import { PRESETS } from '../../src/hw/presets.js';
import type { Design } from '../../src/hw/design.js';
import { accelCases, inputsFor } from '../unit/fixtures/accel_models.js';

/**
 * The whole accelerator: random models through the integer reference, the TS model and the RTL, all
 * equal, every output port equal in every cycle (so the cycle counts agree too). Each Design is one
 * Verilator build shared by its models (fixed memory capacity).
 */
const seed = testSeed(7);
const cases = accelCases();
const byLabel = (prefix: string) => cases.find((c) => c.label.startsWith(prefix))!;
const mixed: Design = { ...structuredClone(PRESETS.tiny), name: 'tiny-mixed', xnor: { bitsPerCycle: 32, thresholds: 3 } };
// the same capacity as accel_cnn.rtl.test.ts, so that both files share each Design's build
const capacity: AccelCapacity = { wDepth: 512, pDepth: 64, actWords: 32, outDepth: 32, layers: 4 };

const runs: { design: Design; labels: string[] }[] = [
  { design: mixed, labels: ['w8a8 double', 'uint8 input', 'w4a2 multi-threshold', 'xnor'] },
  { design: byLabel('w1a1 (uint4').design, labels: ['w1a1 (uint4', 'xnor'] },
  { design: byLabel('w4a4 single').design, labels: ['w4a4 single'] },
  // 7-bit activation slots: they straddle the activation buffers' 32-bit words (the per-bit write path)
  { design: a7(byLabel('uint4 weights').design), labels: ['uint4 weights'] },
];

function a7(d: Design): Design {
  const e = structuredClone(d);
  e.name = `${d.name}-a7`;
  e.activation = intFormat(7, false);
  return e;
}

describe('accel_top RTL == TS accelerator model == integer reference', () => {
  for (const r of runs) {
    it(`${r.design.name}: ${r.labels.join(', ')} (seed ${seed})`, async () => {
      for (const label of r.labels) {
        const c = byLabel(label);
        const rng = new Rng(seed ^ c.salt);
        const m = c.model(rng);
        const p = compileModel(m, r.design);
        const batch = 3;
        const x = inputsFor(rng, m, batch);
        const ref = integerInference(m, x).output;
        const res = await cosimAccelerator(p, x, batch, { capacity });
        const where = `${r.design.name} / ${label}: LOWBIT_SEED=${seed}`;
        expect(res.mismatch, where).toBeUndefined();
        expect(Array.from(res.model.outputs), where).toEqual(Array.from(ref));
        expect(Array.from(res.outputs), where).toEqual(Array.from(ref));
        expect(res.cycles, where).toEqual([res.model.cycles, res.model.cycles, res.model.cycles]);
      }
    });
  }
});
