import { describe, it, expect } from 'vitest';
import { Rng, testSeed } from '../../src/util/rng.js';
import { compileModel } from '../../src/hw/accel_compile.js';
import { integerInference } from '../../src/model/infer.js';
import { cosimAccelerator, type AccelCapacity } from '../../src/rtl/accel_top.js';
import { PRESETS } from '../../src/hw/presets.js';
import type { Design } from '../../src/hw/design.js';
import { accelCases, cnnCases, inputsFor } from '../unit/fixtures/accel_models.js';

/**
 * CNNs and batching on the whole accelerator: random CNNs over every engine (MAC array, XNOR unit,
 * bit-serial path), padding (same, valid, 5x5 and 7x7 with the pad value; on the XNOR unit and the
 * bit-serial path padded taps left out of the popcount, kernel rows cut mid-segment), stride (1, 2), 1x1 / 7x7
 * kernels, max-pooling (2x2/2, 3x3/1, OR on ±1 bits) and flatten, at batch 1 and at the array's rows
 * (output pixels on the rows), and an MLP with a batch of images on the rows: the integer reference,
 * the TS model and the RTL agree, every output port equal in every cycle. One Verilator build per
 * Design (fixed memory capacity).
 */
const seed = testSeed(15);
const cnn = cnnCases();
const mixed: Design = { ...structuredClone(PRESETS.tiny), name: 'tiny-mixed', xnor: { bitsPerCycle: 32, thresholds: 3 } };
const bin = cnn.find((c) => c.label.startsWith('cnn xnor'))!.design;
const capacity: AccelCapacity = { wDepth: 512, pDepth: 64, actWords: 32, outDepth: 32, layers: 4 };

const runs: { design: Design; labels: string[] }[] = [
  { design: mixed, labels: ['cnn w8a8', 'cnn uint8', 'cnn w4a2'] },
  { design: bin, labels: ['cnn xnor', 'cnn serial', 'cnn same xnor', 'cnn same serial'] },
];

describe('accel_top RTL == TS model == integer reference on CNNs, at batch 1 and R', () => {
  for (const r of runs) {
    it(`${r.design.name}: ${r.labels.join(', ')} (seed ${seed})`, async () => {
      for (const label of r.labels) {
        const c = cnn.find((k) => k.label.startsWith(label))!;
        const rng = new Rng(seed ^ c.salt);
        const m = c.model(rng);
        const n = 1;
        const x = inputsFor(rng, m, n);
        const ref = integerInference(m, x).output;
        // the 7x7 case runs 25,000 cycles per image at batch 1; batch R checks it (batch 1 is checked
        // on the others)
        for (const batch of label === 'cnn w4a2' ? [r.design.array.rows] : [1, r.design.array.rows]) {
          const p = compileModel(m, r.design, { batch });
          const res = await cosimAccelerator(p, x, n, { capacity });
          const where = `${r.design.name} / ${label} / batch ${batch}: LOWBIT_SEED=${seed}`;
          expect(res.mismatch, where).toBeUndefined();
          expect(Array.from(res.model.outputs), where).toEqual(Array.from(ref));
          expect(Array.from(res.outputs), where).toEqual(Array.from(ref));
          expect(res.cycles, where).toEqual([res.model.cycles]);
        }
      }
    });
  }

  it(`an MLP with 3 and 4 images per run on the rows of a 4x4 array (seed ${seed})`, async () => {
    const c = accelCases().find((k) => k.label.startsWith('w8a8'))!;
    const rng = new Rng(seed ^ c.salt);
    const m = c.model(rng);
    const n = 5;
    const x = inputsFor(rng, m, n);
    const ref = integerInference(m, x).output;
    for (const batch of [3, 4]) {
      const p = compileModel(m, mixed, { batch });
      expect(p.images).toBe(batch);
      const res = await cosimAccelerator(p, x, n, { capacity });
      const where = `batch ${batch}: LOWBIT_SEED=${seed}`;
      expect(res.mismatch, where).toBeUndefined();
      expect(Array.from(res.outputs), where).toEqual(Array.from(ref));
      expect(res.cycles.length, where).toBe(Math.ceil(n / batch));
    }
  });
});
