/**
 * Per-group weight scales on the accelerator (docs/accelerator.md "Per-group weight scales"): the
 * compiled program run by the TS accelerator model equals the integer reference exactly on grouped
 * MLPs and 1x1 convolutions (group sizes that divide K and that do not), its cycles are the formula
 * (each weight group drains on its own: R cycles more per group after the first), and an ungrouped model
 * runs with the same values and cycles on a Design with and without group multipliers. What the Design
 * cannot run is refused in one line naming the layer and the fix.
 */
import { describe, expect, it } from 'vitest';
import { choosePe, compileModel } from '../../src/hw/accel_compile.js';
import { layerCycles, runAccelerator } from '../../src/hw/accel_top.js';
import { buildImages } from '../../src/hw/accel_images.js';
import { estimateNetwork } from '../../src/estimate/network.js';
import { addEnergy, HOROWITZ_45NM, mulEnergy } from '../../src/estimate/energy.js';
import { areaUnits } from '../../src/estimate/area.js';
import { parseDesign, designToJson } from '../../src/hw/design.js';
import { integerInference } from '../../src/model/infer.js';
import type { DenseLayer } from '../../src/model/types.js';
import { PRESETS } from '../../src/hw/presets.js';
import { BINARY, convNet, int, randomMlp } from '../../src/model/random.js';
import { Rng, testSeed } from '../../src/util/rng.js';
import { accelCases, groupCases, grouped, inputsFor, withWeightGroups } from './fixtures/accel_models.js';

const seed = testSeed(20);

describe('per-group weight scales: TS accelerator model == integer reference', () => {
  for (const c of groupCases()) {
    it(`${c.label} (seed ${seed})`, () => {
      const rng = new Rng(seed ^ c.salt);
      const m = c.model(rng);
      const p = compileModel(m, c.design, { batch: 3 });
      expect(p.layers.map((l) => l.engine)).toEqual(c.engines);
      expect(p.layers.some((l) => l.wgroup !== undefined)).toBe(true);
      const x = inputsFor(rng, m, 5);
      const ref = integerInference(m, x).output;
      const run = runAccelerator(p, x, 5);
      expect(Array.from(run.outputs)).toEqual(Array.from(ref));
      // the outputs are not all clamped to one value (the rescaled stages keep their spread)
      expect(new Set(run.outputs).size).toBeGreaterThan(3);
      const { rows: R, cols: C } = c.design.array;
      for (const l of p.layers) {
        if (l.engine !== 'mac') continue;
        const P = l.wgroup ? Math.ceil(l.K / l.wgroup.size) : 1;
        expect(l.wgroup?.passes ?? 1).toBe(P);
        // T taps x G groups: every group has the same number of passes
        if (l.wgroup) expect(P % l.wgroup.count).toBe(0);
        // F folds of P passes: F (K + P R) + R + C - 1, + INIT + the 5-cycle output stage
        expect(layerCycles(l, p)).toBe(l.groups * (l.K + P * R) + R + C - 1 + 1 + 5);
      }
      // the estimate's cycles are the model's
      expect(estimateNetwork(m, c.design, { batch: 3 }).cycles).toBe(run.cycles / p.images);
    });
  }

  it('a 3x3 convolution with groups of 9 taps x 2 channels: 18 passes of 2 beats, pass p in group p mod 2', () => {
    const c = groupCases().find((k) => k.label.startsWith('grouped 3x3'))!;
    const p = compileModel(c.model(new Rng(seed ^ c.salt)), c.design);
    expect(p.layers.map((l) => l.wgroup && { size: l.wgroup.size, count: l.wgroup.count, passes: l.wgroup.passes })).toEqual([
      { size: 2, count: 2, passes: 18 }, { size: 4, count: 2, passes: 2 }, { size: 2, count: 2, passes: 18 },
    ]);
  });

  it('group multiplier memory: row gBase + f*G + j, lane c = m[f*C + c][j]', () => {
    const c = groupCases()[0];
    const m = c.model(new Rng(seed ^ c.salt));
    const p = compileModel(m, c.design);
    const img = buildImages(p);
    const C = c.design.array.cols;
    let rows = 0;
    for (const l of p.layers) {
      const g = l.wgroup!;
      for (let f = 0; f < l.prows; f++) {
        for (let j = 0; j < g.count; j++) {
          for (let lane = 0; lane < C; lane++) {
            const n = f * C + lane;
            const field = Number((img.gmem![l.gBase + f * g.count + j] >> BigInt(12 * lane)) & 0xfffn);
            expect(field).toBe(n < l.N ? g.multiplier[n * g.count + j] : 0);
          }
        }
      }
      rows += l.prows * g.count;
    }
    expect(p.gDepth).toBe(rows);
    // an ungrouped Design writes no group memory
    expect(buildImages(compileModel(accelCases()[0].model(new Rng(1)), PRESETS.tiny)).gmem).toBeUndefined();
  });

  it('an ungrouped model: the same values and cycles with and without group multipliers in the Design', () => {
    for (const c of accelCases().slice(0, 5)) {
      const rng = new Rng(seed ^ c.salt);
      const m = c.model(rng);
      const x = inputsFor(rng, m, 2);
      const a = runAccelerator(compileModel(m, c.design), x, 2);
      const b = runAccelerator(compileModel(m, grouped(c.design, 17)), x, 2);
      expect(Array.from(b.outputs)).toEqual(Array.from(a.outputs));
      expect(b.layerCycles).toEqual(a.layerCycles);
    }
  });
});

describe('per-group weight scales: what the accelerator refuses, in one line', () => {
  const rng = new Rng(seed);
  const mlp = () => withWeightGroups(rng, randomMlp(rng, [20, 6, 4], int(8, true), int(8, true), 'multiplier-double'), 12, () => 8);
  it('a Design without group multipliers', () => {
    expect(() => compileModel(mlp(), PRESETS.tiny)).toThrow(/^model random-mlp on design tiny: layer fc0 has per-group weight scales \(group 8, 3 groups per row\); the Design has no group multipliers \(add "accumulator": \{"group": \{"multiplierBits": 17\}\}, or quantize without --group\)$/);
  });
  it('a multiplier wider than the Design', () => {
    const m = mlp();
    (m.layers[1] as DenseLayer).weight.group!.multiplier[4] = 2 ** 11;
    expect(() => compileModel(m, grouped(PRESETS.tiny, 10))).toThrow(/layer fc0 .*; its largest group multiplier 2048 needs 12 bits, the Design's accumulator.group.multiplierBits is 10 \(raise it to 12\)$/);
  });
  it('a 3x3 convolution whose group is not whole channels at every tap', () => {
    const m = withWeightGroups(rng, convNet(rng, [2, 5, 5], [{ O: 3, k: 3, s: 1, pad: 1 }], int(8, true), int(8, true), 'multiplier-double'), 12, (_K, name) => (name === 'conv0' ? 4 : 0));
    expect(() => compileModel(m, grouped(PRESETS.tiny, 12))).toThrow(/^model random-convnet on design tiny-g12: layer conv0 has per-group weight scales \(group 4, 5 groups per row\); the array walks its 9 3x3 kernel taps with the 2 channels innermost, so a group must be a whole number L of channels at every tap \(group size = 9 x L, L dividing 2\); use such a --group or quantize this layer without --group$/);
    // 27 = 9 x 3 channels does not divide the 2 input channels either
    const n = withWeightGroups(rng, convNet(rng, [4, 5, 5], [{ O: 3, k: 3, s: 1, pad: 1 }], int(8, true), int(8, true), 'multiplier-double'), 12, (_K, name) => (name === 'conv0' ? 27 : 0));
    expect(() => compileModel(n, grouped(PRESETS.tiny, 12))).toThrow(/layer conv0 .*L dividing 4\)/);
  });
  it('a dense layer after a flatten of a map, group not whole channels at every pixel', () => {
    const m = withWeightGroups(rng, convNet(rng, [2, 4, 4], [{ O: 3, k: 1, s: 1, pad: 0 }], int(8, true), int(8, true), 'multiplier-double'), 12, (_K, name) => (name === 'fc' ? 6 : 0));
    expect(() => compileModel(m, grouped(PRESETS.tiny, 12))).toThrow(/layer fc has per-group weight scales \(group 6, 8 groups per row\); the array walks its 16 4x4 pixels of the flattened map with the 3 channels innermost/);
  });
  it('choosePe: a grouped model the shift-PE array cannot hold stays on the multiplier PE (no refusal)', () => {
    const c = groupCases()[1];
    const m = c.model(new Rng(seed ^ c.salt));
    expect(choosePe(m, c.design)).toBe('multiplier');
  });
  it('a layer on the XNOR unit', () => {
    const d = grouped(PRESETS.binary, 12);
    const m = withWeightGroups(rng, randomMlp(rng, [40, 8, 4], BINARY, BINARY, 'bipolar'), 12, () => 16);
    expect(() => compileModel(m, d)).toThrow(/layer fc0 has per-group weight scales .*; group multipliers sit behind the MAC array, and this layer runs on the xnor engine/);
  });
});

describe('per-group weight scales: the Design field and the cost model', () => {
  it('accumulator.group parses, round-trips and is range-checked', () => {
    const d = grouped(PRESETS.tiny, 17);
    expect(parseDesign(JSON.parse(JSON.stringify(designToJson(d))))).toEqual(d);
    const bad = designToJson(d) as { accumulator: { group: { multiplierBits: number } } };
    bad.accumulator.group.multiplierBits = 18;
    expect(() => parseDesign(bad)).toThrow(/accumulator.group.multiplierBits/);
  });

  it('energy: one E_mul(32 x B) + E_add(32) per weight group and output; gmem rows in the parameter memory and reads', () => {
    const c = groupCases()[0];
    const m = c.model(new Rng(seed ^ c.salt));
    const e = estimateNetwork(m, c.design);
    const p = compileModel(m, c.design);
    const B = c.design.accumulator.group!.multiplierBits;
    const C = c.design.array.cols;
    p.layers.forEach((l, i) => {
      const P = l.wgroup!.passes;
      expect(e.layers[i]!.energyPJ.accumulate).toBeCloseTo(l.N * P * (mulEnergy(HOROWITZ_45NM, 32, B) + addEnergy(HOROWITZ_45NM, 32)), 9);
      expect(e.layers[i]!.sram.paramBits).toBe(l.groups * C * (32 + 32 + 6 + 32 * p.steps) + l.groups * P * C * B);
    });
    expect(e.memory.paramMemoryBits).toBe(p.pDepth * C * (32 + 32 + 6 + 32 * p.steps) + p.gDepth * C * B);
  });

  it('area: C group_scale lanes with a Design that has group multipliers, none without', () => {
    const d = grouped(PRESETS.tiny, 12);
    const u = areaUnits(d, false).find((x) => x.top === 'group_scale');
    expect(u?.count).toBe(4);
    expect(u?.parameters).toEqual({ Rows: 4, MBits: 12 });
    expect(areaUnits(PRESETS.tiny, false).some((x) => x.top === 'group_scale')).toBe(false);
  });
});
