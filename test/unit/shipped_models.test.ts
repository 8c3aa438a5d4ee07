import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { SHIPPED } from '../../src/flows/demo.js';
import { runModel } from '../../src/flows/run.js';
import { loadDesign } from '../../src/hw/design.js';
import { loadQuantizedModel } from '../../src/model/format.js';

/**
 * The shipped models (the main job runs them): on their default Designs, the TS accelerator's accuracy
 * over the whole MNIST test set equals the integer reference's exactly (every logit of every image is
 * identical), and both equal the accuracy recorded in the model's provenance when it was trained.
 */
describe('shipped models on the accelerator', () => {
  for (const s of SHIPPED) {
    it(`${s.model} on ${s.design}: accelerator == integer reference == recorded accuracy`, async () => {
      const m = loadQuantizedModel(join('models', s.model));
      const r = await runModel(m, loadDesign(s.design), { images: 10000, rtl: false, rtlImages: 0 });
      expect(r.disagreement).toBeUndefined();
      expect(r.agreement.referenceVsAccelerator).toBe(1);
      expect(r.accuracy.accelerator).toBe(r.accuracy.reference);
      const recorded = m.provenance.accuracy.find((a) => a.dataset === 'mnist-test' && a.samples === 10000);
      expect(recorded, 'the model records its MNIST test accuracy').toBeDefined();
      expect(r.accuracy.reference).toBeCloseTo(recorded!.value, 10);
    }, 120_000);
  }
});
