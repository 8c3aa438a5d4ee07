import { describe, it, expect } from 'vitest';
import { Rng, testSeed } from '../../src/util/rng.js';
import { compileModel } from '../../src/hw/accel_compile.js';
import { runAccelerator, inferenceCycles, layerCycles } from '../../src/hw/accelerator.js';
import { buildImages, imageWidths, hexText } from '../../src/hw/accel_images.js';
import { packInput } from '../../src/rtl/accel.js';
import { integerInference } from '../../src/model/infer.js';
import { PRESETS } from '../../src/hw/presets.js';
import type { Design } from '../../src/hw/design.js';
import type { QuantizedModel } from '../../src/model/types.js';
import { accelCases, inputsFor } from './fixtures/accel_models.js';

const seed = testSeed(20261127);

describe('accelerator model equals the integer reference', () => {
  for (const c of accelCases()) {
    it(`${c.label} (seed ${seed})`, () => {
      const rng = new Rng(seed ^ c.salt);
      const m = c.model(rng);
      const p = compileModel(m, c.design);
      expect(p.layers.map((l) => l.engine)).toEqual(c.engines);
      const batch = 7;
      const x = inputsFor(rng, m, batch);
      const ref = integerInference(m, x);
      const run = runAccelerator(p, x, batch);
      expect(Array.from(run.outputs)).toEqual(Array.from(ref.output));
      expect(run.cycles).toBe(inferenceCycles(p));
      expect(run.layerCycles.reduce((a, b) => a + b, 1)).toBe(run.cycles);
    });
  }
});

describe('accelerator cycles (hand-computed)', () => {
  it('mac and xnor layers follow the controller formulas', () => {
    const rng = new Rng(1);
    const cases = accelCases();
    const mac = cases.find((c) => c.label.startsWith('w8a8'))!;
    const p = compileModel(mac.model(rng), mac.design);
    const { rows: R, cols: C } = mac.design.array;
    for (const l of p.layers) {
      const F = Math.ceil(l.N / C);
      expect(layerCycles(l, p)).toBe((F - 1) * (l.K + R) + l.K + 2 * R + C + 5);
    }
    const bin = cases.find((c) => c.label.startsWith('w1a1'))!;
    const pb = compileModel(bin.model(rng), bin.design);
    const L = bin.design.xnor.bitsPerCycle;
    for (const l of pb.layers.slice(1)) expect(layerCycles(l, pb)).toBe(l.N * Math.ceil(l.K / L) + 9);
    // the bit-serial first layer: B_x x B_w plane pairs per output
    const l0 = pb.layers[0];
    expect(l0.engine).toBe('serial');
    expect(layerCycles(l0, pb)).toBe(l0.N * l0.xFormat.bits * l0.wFormat.bits * Math.ceil(l0.K / L) + 9);
  });
});

describe('accelerator memory images', () => {
  it('pack every layer into words of the documented widths', () => {
    const rng = new Rng(2);
    for (const c of accelCases()) {
      const p = compileModel(c.model(rng), c.design);
      const img = buildImages(p);
      const widths = imageWidths(p);
      for (const [name, words] of Object.entries(img) as [keyof typeof img, bigint[]][]) {
        for (const w of words) expect(w >> BigInt(widths[name])).toBe(0n);
        expect(hexText(words, widths[name]).split('\n').length).toBe(words.length + 1);
      }
      expect(img.prog.length).toBe(p.layers.length);
      expect(img.wmem.length).toBe(p.wDepth);
    }
  });

  it('packs a bipolar input one bit per element, bit 1 = +1', () => {
    const rng = new Rng(3);
    const c = accelCases().find((k) => k.label.startsWith('xnor'))!;
    const p = compileModel(c.model(rng), c.design);
    const x = new Int32Array(p.inputElems).fill(-1);
    x[0] = 1;
    x[33] = 1;
    const w = packInput(p, x);
    expect(w[0]).toBe(1);
    expect(w[1]).toBe(2);
  });
});

describe('compile errors name the problem and the fix', () => {
  const rng = new Rng(4);
  const c = accelCases()[0];
  const m = c.model(rng);
  const withDesign = (patch: (d: Design) => void): Design => {
    const d = structuredClone(c.design);
    patch(d);
    return d;
  };
  it('rejects unsupported layers', () => {
    const conv = { ...m, layers: [...m.layers.slice(0, 1), { kind: 'maxpool2d', name: 'pool', kernel: [2, 2], stride: [2, 2], padding: [0, 0, 0, 0] }, ...m.layers.slice(1)] } as QuantizedModel;
    expect(() => compileModel(conv, c.design)).toThrow(/layer pool is maxpool2d; the accelerator runs dense/);
  });
  it('rejects a non-os dataflow, small buffers, narrow accumulators and a mismatched requantizer', () => {
    expect(() => compileModel(m, withDesign((d) => { d.array.dataflow = 'ws'; }))).toThrow(/output-stationary; got array.dataflow = ws/);
    expect(() => compileModel(m, withDesign((d) => { d.buffers.weightBytes = 16; }))).toThrow(/weight memory needs \d+ bytes; the Design's buffers.weightBytes is 16/);
    expect(() => compileModel(m, withDesign((d) => { d.accumulator.bits = 8; }))).toThrow(/beyond the 8-bit accumulator; use a Design with accumulator.bits >= \d+/);
    expect(() => compileModel(m, withDesign((d) => { d.requant.mode = 'single'; }))).toThrow(/uses double-rounding multipliers; the Design's requantizer is single/);
  });
  it('rejects formats the Design cannot hold', () => {
    expect(() => compileModel(m, PRESETS.int2)).toThrow(/fits neither the int2 x int2 MAC array nor the XNOR unit|accumulator/);
  });
});
