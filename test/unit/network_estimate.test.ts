import { DESCRIPTOR_FIELDS } from '../../src/hw/accel_program.js';
import { describe, it, expect } from 'vitest';
import { Rng, testSeed } from '../../src/util/rng.js';
import { compileModel } from '../../src/hw/accel_compile.js';
import { inferenceCycles, layerCycles, runAccelerator } from '../../src/hw/accel_top.js';
import { estimateProgram } from '../../src/estimate/network.js';
import { HOROWITZ_45NM as T, macEnergy, addEnergy, xnorMacEnergy } from '../../src/estimate/energy.js';
import { accelCases, cnnCases, inputsFor } from './fixtures/accel_models.js';
import { estimateNetwork } from '../../src/estimate/network.js';
import { modelShapes } from '../../src/model/shapes.js';
import type { Conv2dLayer, DenseLayer, MaxPool2dLayer } from '../../src/model/types.js';

const seed = testSeed(20261127);
const byLabel = (prefix: string) => accelCases().find((c) => c.label.startsWith(prefix))!;

describe('network estimate: cycles equal the accelerator model', () => {
  for (const c of accelCases()) {
    it(`${c.label} (seed ${seed})`, () => {
      const rng = new Rng(seed ^ c.salt);
      const m = c.model(rng);
      const p = compileModel(m, c.design);
      const e = estimateProgram(p, m);
      expect(e.layers.map((l) => l.cycles)).toEqual(p.layers.map((l) => layerCycles(l, p)));
      expect(e.cycles).toBe(inferenceCycles(p));
      const run = runAccelerator(p, inputsFor(rng, m, 2), 2);
      expect(e.cycles).toBe(run.cycles);
      expect(e.layers.map((l) => l.cycles)).toEqual(run.layerCycles);
      for (const l of e.layers) {
        expect(l.utilization).toBeGreaterThan(0);
        expect(l.utilization).toBeLessThanOrEqual(1);
      }
    });
  }
});

describe('network estimate: hand-computed examples', () => {
  it('one int8 mac layer, K=25 N=5, on a 4x8 array (one fold)', () => {
    const c = byLabel('uint8 input');
    const m = c.model(new Rng(1));
    const d = structuredClone(c.design);
    d.array.cols = 8;
    const e = estimateNetwork(m, d);
    // F = ceil(5/8) = 1 fold: K + 2R + C + 5 = 25 + 8 + 8 + 5 = 46; + 1 start cycle
    expect(e.layers[0].cycles).toBe(46);
    expect(e.cycles).toBe(47);
    expect(e.ops).toBe(125);
    expect(e.layers[0].utilization).toBe(125 / (32 * 46));
    // word = ceil(max(8 * 8, 64) / 32) * 32 = 64 bits; 1 fold x 25 beats; a parameter row 8 x (70 + 32) bits
    expect(e.layers[0].sram).toEqual({
      weightWords: 25, weightBits: 1600, activationBits: 200, paramRows: 1, paramBits: 8 * (70 + 32), outputWrites: 5, outputBits: 160,
    });
    // host: 25 x 8-bit slots = 200 bits = 7 words in; 5 words out
    expect(e.ioCycles).toBe(12);
    expect(e.sram.totalBits).toBe(1600 + 200 + 816 + 160 + 224 + 160);
    expect(e.latencySeconds).toBe(47 / 200e6);
    expect(e.inferencesPerSecond).toBe(200e6 / 59);
    // one-time load: 25 words x 64 + 1 row x 816 + one 46-field descriptor (1472 bits)
    expect(DESCRIPTOR_FIELDS).toBe(46);
    expect(e.offchip).toEqual({ weightLoadBits: 1600 + 816 + 1472, inputBits: 224, outputBits: 160, perInferenceBits: 224 + 160 + 3888 });
    expect(e.energy.computePJ).toBeCloseTo(125 * 0.3, 12);
    expect(e.energy.computePJ).toBe(125 * macEnergy(T, 8, 8, 32));
    expect(e.energy.outputStagePJ).toBe(5 * addEnergy(T, 32)); // raw accumulators: the bias add only
    expect(e.energy.sramPJ).toBe(3160 * (5 / 32));
    expect(e.energy.dramPJ).toBe(4272 * 20);
    expect(e.energy.weightLoadPJ).toBe(3888 * 20);
    // batch 1000: the load amortised over 1000 inferences, and 4 images per run on the 4 array rows, whose
    // 4 x 25 slots pack into 25 input words (6.25 per inference) instead of 7
    const amortised = estimateNetwork(m, d, { batch: 1000 });
    expect(amortised.offchip.perInferenceBits).toBe(200 + 160 + 3.888);
  });

  it('a multi-fold mac layer reads one weight word per beat and one parameter row per fold', () => {
    const c = byLabel('uint8 input');
    const e = estimateNetwork(c.model(new Rng(1)), c.design); // 4x4: F = 2 folds of 25 beats
    expect(e.layers[0].sram.weightWords).toBe(50);
    expect(e.layers[0].sram.paramRows).toBe(2);
    expect(e.layers[0].sram.outputWrites).toBe(5);
  });

  it('a w1a1 MLP 45-33-17-10 on 32 XNOR lanes', () => {
    const c = byLabel('xnor');
    const m = c.model(new Rng(2));
    const e = estimateNetwork(m, c.design);
    // N * ceil(K/32) + 9: 33*2+9, 17*2+9, 10*1+9
    expect(e.layers.map((l) => l.cycles)).toEqual([75, 43, 19]);
    expect(e.cycles).toBe(138);
    expect(e.layers.map((l) => l.ops)).toEqual([45 * 33, 33 * 17, 17 * 10]);
    expect(e.layers[0].utilization).toBe((45 * 33) / (32 * 75));
    expect(e.layers.map((l) => l.sram.weightWords)).toEqual([66, 34, 10]);
    expect(e.layers.map((l) => l.sram.activationBits)).toEqual([66 * 32, 34 * 32, 10 * 32]);
    // words 32 bits wide (C*VBits = 2*2 and L = 32 both fit one 32-bit word)
    expect(e.layers[0].sram.weightBits).toBe(66 * 32);
    // bipolar planes out: one bit per output; last layer: 32-bit output words
    expect(e.layers.map((l) => l.sram.outputBits)).toEqual([33, 17, 320]);
    const ops = 45 * 33 + 33 * 17 + 17 * 10;
    expect(e.energy.computePJ).toBeCloseTo(ops * xnorMacEnergy(T), 12);
    expect(e.energy.accumulatePJ).toBeCloseTo(110 * addEnergy(T, 16), 12);
    // weight memory: 110 words x 32 bits vs 32-bit floats: 32 * weights / 3520
    expect(e.memory.weightMemoryBits).toBe(110 * 32);
    expect(e.memory.weightSavingVsFp32).toBe((32 * ops) / 3520);
  });

  it('the bit-serial layer counts Bx x Bw planes', () => {
    const c = byLabel('w1a1 (uint4');
    const m = c.model(new Rng(3));
    const e = estimateNetwork(m, c.design);
    // K=40, N=16, uint4 x (±1 as 2-bit signed): 16 * 4 * 2 * ceil(40/32) + 9
    expect(e.layers[0].engine).toBe('serial');
    expect(e.layers[0].cycles).toBe(16 * 8 * 2 + 9);
    expect(e.layers[0].ops).toBe(40 * 16 * 8);
    expect(e.layers[0].sram.weightWords).toBe(16 * 8 * 2);
  });

  it('rejects a bad batch', () => {
    const c = byLabel('uint8 input');
    expect(() => estimateNetwork(c.model(new Rng(1)), c.design, { batch: 0 })).toThrow(/batch: got 0/);
  });
});

describe('network estimate of a CNN: line buffers, weight memory and pooling energy from the model shapes', () => {
  const cases = cnnCases();
  for (const label of ['cnn w8a8', 'cnn same xnor']) {
    it(label, () => {
      const c = cases.find((k) => k.label.startsWith(label))!;
      const m = c.model(new Rng(seed ^ c.salt));
      const e = estimateNetwork(m, c.design);
      const shapes = modelShapes(m);
      const cols = c.design.array.cols;
      const L = c.design.xnor.bitsPerCycle;
      // the layers the accelerator runs, in order, with their input shapes (quantize/clamp/flatten are not layers)
      const run = m.layers.map((l, i) => ({ l, inShape: shapes[i] })).filter((x): x is { l: Conv2dLayer | MaxPool2dLayer | DenseLayer; inShape: number[] } => x.l.kind === 'conv2d' || x.l.kind === 'maxpool2d' || x.l.kind === 'dense');
      expect(e.layers.map((l) => l.name)).toEqual(run.map((x) => x.l.name));
      // a ±1 map is held as one bit per element, an int8 one in 8-bit slots
      const elemBits = label === 'cnn w8a8' ? 8 : 1;
      let words = 0;
      run.forEach(({ l, inShape }, i) => {
        const est = e.layers[i];
        if (l.kind === 'dense') {
          expect(est.lineBufferBits).toBe(0);
          words += label === 'cnn w8a8' ? Math.ceil(l.outFeatures / cols) * l.inFeatures : l.outFeatures * Math.ceil(l.inFeatures / L);
          return;
        }
        const [C, , W] = inShape as [number, number, number];
        const [kh, kw] = l.kernel;
        expect(est.lineBufferBits, l.name).toBe(kh * kw > 1 ? ((kh - 1) * W + kw) * C * elemBits : 0);
        if (l.kind === 'conv2d') {
          words += label === 'cnn w8a8' ? Math.ceil(l.outChannels / cols) * kh * kw * C : l.outChannels * kh * Math.ceil((kw * C) / L);
        } else {
          // pooling: M*C outputs, kh*kw - 1 compares each, no weights
          const [, Ho, Wo] = shapes[m.layers.indexOf(l) + 1] as [number, number, number];
          expect(est.energyPJ.compute).toBeCloseTo(Ho * Wo * C * (kh * kw - 1) * addEnergy(T, 32), 9);
          expect(est.sram.weightBits).toBe(0);
        }
      });
      expect(e.memory.weightMemoryBits).toBe(words * Math.ceil(Math.max(cols * (label === 'cnn w8a8' ? 8 : 2), L) / 32) * 32);
    });
  }
});
