import { expect } from 'vitest';
import { join } from 'node:path';
import { runModel } from '../../../src/flows/run.js';
import { loadDesign } from '../../../src/hw/design.js';
import { loadQuantizedModel } from '../../../src/model/format.js';

/**
 * A shipped model on its Design over the first `images` MNIST test images: the TS accelerator's logits
 * equal the integer reference's on every image; over all 10,000 the accuracy also equals the one recorded
 * in the model's provenance when it was trained.
 */
export async function expectShippedAgrees(s: { model: string; design: string }, images: number): Promise<void> {
  const m = loadQuantizedModel(join('models', s.model));
  const r = await runModel(m, loadDesign(s.design), { images, rtl: false, rtlImages: 0 });
  expect(r.disagreement).toBeUndefined();
  expect(r.agreement.referenceVsAccelerator).toBe(1);
  expect(r.accuracy.accelerator).toBe(r.accuracy.reference);
  if (images < 10000) return;
  const recorded = m.provenance.accuracy.find((a) => a.dataset === 'mnist-test' && a.samples === 10000);
  expect(recorded, 'the model records its MNIST test accuracy').toBeDefined();
  expect(r.accuracy.reference).toBeCloseTo(recorded!.value, 10);
}
