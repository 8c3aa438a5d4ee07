import { describe, it, expect } from 'vitest';
import { autoquant } from '../../src/flows/autoquant.js';
import { loadDesign } from '../../src/hw/design.js';
import { modelCost } from '../../src/explore/bitwidth_cost.js';
import { integerAccuracy } from '../../src/train/run.js';
import { loadMnist } from '../../src/data/mnist.js';

// SFC end to end on the bit-serial Design with the cycles of uniform w4a2 as the budget (the settings of the
// committed reports/autoquant run, fewer training images): the chosen model fits, every trained model's
// cost is the estimate of the exported model, the fine-tuned models are real classifiers, and the report's
// comparison is the one the numbers give (no outcome is assumed).
describe('lowbit autoquant on SFC (slow)', () => {
  it('chooses within the budget, fine-tunes, measures every uniform scheme', () => {
    const design = loadDesign('examples/autoquant/bitserial-mnist.json');
    const r = autoquant({
      arch: 'sfc', design, metric: 'cycles', budget: 'w4a2', wBits: [1, 2, 4, 8], aBits: [1, 2, 4], sensitivity: 'hessian',
      fpEpochs: 1, epochs: 1, trainImages: 4000, valImages: 1000, hessianImages: 300, hessianSamples: 8, frontPoints: 1, seed: 1, batch: 1,
    });
    expect(r.chosen.cost).toBeLessThanOrEqual(r.budget);
    expect(r.budget).toBe(r.uniform.find((u) => u.name === 'w4a2')!.cost);
    // w4a1 and w8a1 cannot run here (binary inputs to multi-bit weights); the other ten are fine-tuned
    expect(r.uniform.filter((u) => u.cost === null).map((u) => u.name).sort()).toEqual(['w4a1', 'w8a1']);
    expect(r.trained.filter((t) => t.kind === 'uniform')).toHaveLength(10);
    const test = loadMnist('test');
    for (const t of r.trained) {
      expect(modelCost(t.model, { design, metric: 'cycles', batch: 1 }).total).toBe(t.cost);
      expect(t.cost).toBeLessThanOrEqual(t.predictedCost);
      expect(t.testAccuracy).toBeGreaterThan(0.5);
    }
    expect(integerAccuracy(r.chosen.model, test)).toBe(r.chosen.testAccuracy);
    const above = r.trained.filter((t) => t.kind === 'uniform' && t.cost >= r.chosen.cost);
    expect(r.bestUniformAtOrAbove?.testAccuracy ?? null).toBe(above.length ? Math.max(...above.map((t) => t.testAccuracy)) : null);
  }, 3_600_000);
});
