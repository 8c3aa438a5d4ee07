import { describe, it } from 'vitest';
import { SHIPPED } from '../../src/flows/demo.js';
import { expectShippedAgrees } from '../unit/helpers/shipped.js';

/**
 * The shipped CNNs on their default Designs over all 10,000 MNIST test images: TS accelerator == integer
 * reference on every image, and the recorded accuracy (the unit tier checks the first 1,000 images).
 */
describe('shipped CNNs on the accelerator, whole test set', () => {
  for (const s of SHIPPED.filter((x) => x.model.startsWith('cnn'))) {
    it(`${s.model} on ${s.design}: accelerator == integer reference == recorded accuracy`, async () => {
      await expectShippedAgrees(s, 10000);
    }, 1_200_000);
  }
});
