import { describe, it, expect } from 'vitest';
import { Rng, testSeed } from '../../src/util/rng.js';
import { formatBits } from '../../src/arith/format.js';
import { compileModel } from '../../src/hw/accel_compile.js';
import { hostInput, runAccelerator, inferenceCycles, layerCycles } from '../../src/hw/accel_top.js';
import { layoutBits } from '../../src/hw/accel_program.js';
import { buildImages, imageWidths, hexText } from '../../src/hw/accel_images.js';
import { packInput, unpackInput } from '../../src/rtl/accel_top.js';
import { accelTopUnit, drawProgram } from '../../src/rtl/units/accel_top.js';
import { randomInts } from '../../src/model/random.js';
import { integerInference } from '../../src/model/infer.js';
import { PRESETS } from '../../src/hw/presets.js';
import type { Design } from '../../src/hw/design.js';
import { accelCases, cnnCases, convNet, inputsFor } from './fixtures/accel_models.js';
import { BINARY, int } from './fixtures/model/random_models.js';
import type { Conv2dLayer } from '../../src/model/types.js';
import { estimateNetwork } from '../../src/estimate/network.js';

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

describe('CNNs on the accelerator: TS model == integer reference, at every batch', () => {
  for (const c of cnnCases()) {
    it(`${c.label} (seed ${seed})`, () => {
      const rng = new Rng(seed ^ c.salt);
      const m = c.model(rng);
      const n = 3;
      const x = inputsFor(rng, m, n);
      const ref = integerInference(m, x);
      const { rows: R, cols: C } = c.design.array;
      const L = c.design.xnor.bitsPerCycle;
      for (let batch = 1; batch <= R; batch++) {
        const p = compileModel(m, c.design, { batch });
        expect(p.layers.map((l) => l.engine)).toEqual(c.engines);
        const run = runAccelerator(p, x, n);
        expect(Array.from(run.outputs), `batch ${batch}`).toEqual(Array.from(ref.output));
        // cycles from the layer shapes (docs/accelerator.md), independent of layerCycles' bookkeeping
        for (const l of p.layers) {
          const M = l.win.Ho * l.win.Wo;
          const want = l.engine === 'mac'
            ? (Math.ceil(M / Math.min(batch, M)) * Math.ceil(l.N / C) - 1) * (l.K + R) + l.K + 2 * R + C + 5
            : l.engine === 'pool' ? M * l.N + 2
            : M * l.N * (l.engine === 'serial' ? formatBits(l.xFormat) * formatBits(l.wFormat) : 1) * l.win.kh * Math.ceil((l.win.kw * l.win.C) / L) + 9;
          expect(layerCycles(l, p), `${l.name} batch ${batch}`).toBe(want);
        }
        const est = estimateNetwork(m, c.design, { batch });
        expect(est.cycles).toBe(inferenceCycles(p));
        expect(est.layers.map((l) => l.cycles)).toEqual(p.layers.map((l) => layerCycles(l, p)));
      }
    });
  }

  it('locates every layer of a CNN in the model order (CHW)', () => {
    const c = cnnCases()[0];
    const rng = new Rng(seed ^ c.salt);
    const m = c.model(rng);
    const x = inputsFor(rng, m, 1);
    const p = compileModel(m, c.design, { batch: 3 });
    const ours = runAccelerator(p, x, 1, { layerOutputs: true }).layerOutputs;
    const refs: Int32Array[] = [];
    integerInference(m, x, { onLayer: (_i, l, out) => { if (l.kind === 'conv2d' || l.kind === 'maxpool2d' || l.kind === 'dense') refs.push(out.slice()); } });
    // conv0, pool0, conv1 (before its fused clamp: compare the unclamped layers only), fc
    expect(Array.from(ours[0])).toEqual(Array.from(refs[0]));
    expect(Array.from(ours[1])).toEqual(Array.from(refs[1]));
    expect(Array.from(ours[3])).toEqual(Array.from(refs[3]));
  });

  it('an MLP at batch B runs B images per run on the array rows', () => {
    const c = accelCases().find((k) => k.label.startsWith('w8a8'))!;
    const rng = new Rng(seed ^ c.salt);
    const m = c.model(rng);
    const x = inputsFor(rng, m, 7);
    const ref = integerInference(m, x).output;
    const R = c.design.array.rows;
    const one = compileModel(m, c.design);
    for (let B = 1; B <= R + 2; B++) {
      const p = compileModel(m, c.design, { batch: B });
      expect(p.images).toBe(Math.min(B, R));
      expect(Array.from(runAccelerator(p, x, 7).outputs), `batch ${B}`).toEqual(Array.from(ref));
      // the same folds per run; per inference the run is shared by its images
      expect(inferenceCycles(p)).toBe(inferenceCycles(one) / p.images);
    }
  });
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
    expect(layerCycles(l0, pb)).toBe(l0.N * formatBits(l0.xFormat) * formatBits(l0.wFormat) * Math.ceil(l0.K / L) + 9);
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

  it('unpackInput inverts packInput on every input layout the verify programs draw (slots, bipolar and bit planes)', () => {
    const seed = testSeed(17);
    const kinds = new Set<string>();
    for (const { label, design } of accelTopUnit.designs()) {
      for (let s = 0; s < 12; s++) {
        const p = drawProgram(label, design, seed + s);
        const l = p.layers[0];
        const rng = new Rng(seed + s);
        const x = randomInts(rng, p.images * p.inputElems, l.xFormat);
        for (let i = 0; i < x.length; i++) x[i] += p.inputShift;
        const h = hostInput(p, x, 0, p.images);
        const w = packInput(p, h);
        const what = `${label} seed ${seed + s} ${JSON.stringify(l.inLayout)}`;
        expect(Array.from(unpackInput(p, w)), what).toEqual(Array.from(h));
        // junk in the bits past the map is ignored
        const used = layoutBits(l.inLayout, l.win.H * l.win.W * l.win.C);
        if (used % 32 !== 0) w[w.length - 1] |= ~((1 << (used % 32)) - 1);
        expect(Array.from(unpackInput(p, w)), what).toEqual(Array.from(h));
        kinds.add(l.inLayout.kind === 'planes' ? (l.inLayout.bipolar ? 'bipolar' : 'planes') : l.inLayout.kind);
      }
    }
    expect([...kinds].sort()).toEqual(['bipolar', 'planes', 'slots']);
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
  it('rejects what the window generator and the pooling unit do not run, naming the layer and the fix', () => {
    const cases = cnnCases();
    const xn = cases.find((k) => k.label.startsWith('cnn xnor'))!;
    // the bit-serial path pads with 0, so a padded layer there needs input zero point 0
    const padded = convNet(new Rng(5), [2, 6, 6], [{ O: 3, k: 3, s: 1, pad: 1 }], BINARY, BINARY, 'bipolar', int(4, false));
    const zp = (padded.layers[1] as Conv2dLayer).input.zeroPoint;
    expect(zp).not.toBe(0);
    expect(() => compileModel(padded, xn.design)).toThrow(new RegExp(`layer conv0 is a padded convolution on the bit-serial path with input zero point ${zp}; that path pads with 0 \\(use padding 0, a zero point of 0, or a Design whose MAC array holds binary x uint4\\)`));
    const mac = cases[0];
    const cnn = mac.model(new Rng(6));
    const poolPad = structuredClone(cnn);
    const pool = poolPad.layers.find((l) => l.kind === 'maxpool2d')!;
    // 3 x 3 stride 2 with top/left padding 1 keeps the 2 x 2 output of the 2 x 2 pool over the 5 x 5 map
    if (pool.kind === 'maxpool2d') Object.assign(pool, { kernel: [3, 3], padding: [1, 1, 0, 0] });
    expect(() => compileModel(poolPad, mac.design)).toThrow(/max-pool layer pool0 has padding \[1,1,0,0\]; the pooling unit takes unpadded windows/);
    const poolBig = structuredClone(cnn);
    const pb = poolBig.layers.find((l) => l.kind === 'maxpool2d')!;
    // 4 x 4 stride 2 with padding [1, 1, 0, 1] still gives 2 x 2 (the unit's limit is checked first)
    if (pb.kind === 'maxpool2d') Object.assign(pb, { kernel: [4, 4], padding: [1, 1, 0, 1] });
    expect(() => compileModel(poolBig, mac.design)).toThrow(/max-pool layer pool0 has a 4x4 window; the pooling unit takes windows up to 3x3/);
    const small = structuredClone(mac.design);
    small.buffers.activationBytes = 64;
    expect(() => compileModel(cnn, small)).toThrow(/the activation memory needs \d+ bytes; the Design's buffers.activationBytes is 64 \(raise it to at least \d+; it holds two buffers of layer pool0's 5x5x5 input\)/);
    const narrow = structuredClone(mac.design);
    narrow.accumulator.bits = 12;
    expect(() => compileModel(cnn, narrow)).toThrow(/layer conv0 output \d+ may reach .* beyond the 12-bit accumulator; use a Design with accumulator.bits >= \d+/);
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
