import { describe, it, expect } from 'vitest';
import { areaUnits } from '../../src/estimate/area.js';
import { hasWindowLayers } from '../../src/hw/conv_window.js';
import { loadModel } from '../../src/model/locate.js';
import { PRESETS } from '../../src/hw/presets.js';

// Which units `lowbit estimate --model` synthesizes (src/estimate/area.ts): the window generator and the
// pooling unit only for a model with conv2d / maxpool2d layers (no Yosys needed to list them).
describe('area units of a model', () => {
  const tops = (model: string, design: keyof typeof PRESETS): string[] =>
    areaUnits(PRESETS[design], hasWindowLayers(loadModel(model))).map((u) => u.top);

  it('an MLP has no window generator or pooling unit', () => {
    for (const m of ['sfc-w1a1', 'sfc-w4a4', 'lfc-w1a1']) {
      expect(hasWindowLayers(loadModel(m))).toBe(false);
      expect(tops(m, 'binary-mnist')).toEqual(['mac_pe', 'requantizer', 'xnor_popcount']);
    }
  });

  it('a CNN has both', () => {
    for (const m of ['cnn-w1a1', 'cnn-w2a2', 'cnn-w4a4']) {
      expect(hasWindowLayers(loadModel(m))).toBe(true);
      expect(tops(m, 'int8-mnist')).toEqual(['mac_pe', 'requantizer', 'xnor_popcount', 'conv_window', 'max_pool']);
    }
  });
});
