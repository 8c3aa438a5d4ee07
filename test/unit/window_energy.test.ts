import { describe, it, expect } from 'vitest';
import { Rng, testSeed } from '../../src/util/rng.js';
import { estimateNetwork } from '../../src/estimate/network.js';
import { HOROWITZ_45NM as T, addEnergy } from '../../src/estimate/energy.js';
import { accelCases, cnnCases } from './fixtures/accel_models.js';
import { modelShapes } from '../../src/model/shapes.js';
import type { Conv2dLayer, DenseLayer, MaxPool2dLayer } from '../../src/model/types.js';

const seed = testSeed(20261202);
const sum = (xs: number[]): number => xs.reduce((a, x) => a + x, 0);

/**
 * The window generator's energy (src/estimate/window.ts): E_add(32) per add of hdl/conv_window.sv's
 * address walk, from the model's shapes — 3 per output pixel; per mac beat 4 + 5 per array row in use;
 * 14 per XNOR/bit-serial word; 9 per pooled element — for every layer of a CNN, none for an MLP (its
 * accelerator has no window generator, as in the area).
 */
describe('window energy of a CNN from the model shapes', () => {
  for (const c of cnnCases()) {
    const batch = c.design.array.rows;
    it(`${c.label.split(':')[0]}, ${batch} output pixels on the rows (seed ${seed})`, () => {
      const m = c.model(new Rng(seed ^ c.salt));
      const e = estimateNetwork(m, c.design, { batch });
      const shapes = modelShapes(m);
      const cols = c.design.array.cols;
      const L = c.design.xnor.bitsPerCycle;
      const run = m.layers.map((l, i) => ({ l, inShape: shapes[i], outShape: shapes[i + 1] }))
        .filter((x): x is { l: Conv2dLayer | MaxPool2dLayer | DenseLayer; inShape: number[]; outShape: number[] } => x.l.kind === 'conv2d' || x.l.kind === 'maxpool2d' || x.l.kind === 'dense');
      expect(e.layers.map((l) => l.engine)).toEqual(c.engines);
      const want = run.map(({ l, inShape, outShape }, i) => {
        // a dense layer is one pixel whose patch is the whole input vector
        const [C, kh, kw, M, N] = l.kind === 'dense' ? [l.inFeatures, 1, 1, 1, l.outFeatures] :
          [inShape[0], l.kernel[0], l.kernel[1], outShape[1] * outShape[2], outShape[0]];
        const K = kh * kw * C;
        const engine = c.engines[i];
        let adds = 3 * M;
        if (engine === 'pool') adds += M * N * 9;
        else if (engine === 'mac') {
          const rows = Math.min(batch, M);
          adds += Math.ceil(M / rows) * Math.ceil(N / cols) * K * (4 + 5 * rows);
        } else {
          // bit-serial: 4-bit inputs (both serial cases) x ±1 weights as 2-bit planes
          const planes = engine === 'serial' ? 4 * 2 : 1;
          adds += M * N * planes * kh * Math.ceil((kw * C) / L) * 14;
        }
        return adds * addEnergy(T, 32);
      });
      e.layers.forEach((l, i) => expect(l.energyPJ.window, l.name).toBeCloseTo(want[i], 9));
      expect(e.energy.windowPJ).toBeCloseTo(sum(want), 9);
      const en = e.energy;
      expect(en.totalPJ).toBeCloseTo(en.computePJ + en.accumulatePJ + en.outputStagePJ + en.windowPJ + en.sramPJ + en.dramPJ, 9);
    });
  }

  it('an MLP has none', () => {
    for (const c of accelCases()) {
      const e = estimateNetwork(c.model(new Rng(seed ^ c.salt)), c.design);
      expect(e.energy.windowPJ, c.label).toBe(0);
      for (const l of e.layers) expect(l.energyPJ.window).toBe(0);
    }
  });
});
