import { describe, it, expect } from 'vitest';
import { bestUnder, bitFront, configName, configTriples, tripleKey, uniformConfigs, type BitConfig, type BitProblem } from '../../src/explore/bitwidth.js';
import { closeTo, configModel, fillCostTable, modelCost, withoutWeightLimit, COST_METRICS } from '../../src/explore/bitwidth_cost.js';
import { loadDesign } from '../../src/hw/design.js';
import { Rng, testSeed } from '../../src/util/rng.js';

const seed = testSeed(21);
const W = [1, 2, 4, 8];
const A = [1, 2, 4];

/** Every configuration of `layers` layers. */
function allConfigs(layers: number): BitConfig[] {
  let out: BitConfig[] = [[]];
  for (let l = 0; l < layers; l++) {
    const last = l === layers - 1;
    out = out.flatMap((c) => W.flatMap((w) => (last ? [[...c, { w }]] : A.map((a) => [...c, { w, a }]))));
  }
  return out;
}

describe('Pareto DP over per-layer bits (seed ' + seed + ')', () => {
  it('equals the brute-force Pareto front of (cost, sensitivity), infeasible triples excluded', () => {
    for (let trial = 0; trial < 5; trial++) {
      const rng = new Rng(seed + trial);
      const L = 3 + (trial % 2);
      const cost = new Map<string, number>();
      for (let l = 0; l < L; l++) for (const i of l === 0 ? [0] : A) for (const w of W) for (const o of l === L - 1 ? [0] : A) {
        if (rng.float() < 0.15) continue; // infeasible
        cost.set(tripleKey(l, i, w, o), rng.int(1, 40) * (w + o));
      }
      // dyadic sensitivities: every sum is exact, so the DP and the enumeration agree to the bit
      const sens = (): Map<number, number> => new Map([...W, ...A].map((b) => [b, rng.int(0, 64) / 16]));
      const p: BitProblem = { layers: L, wBits: W, aBits: A, sW: Array.from({ length: L }, sens), sA: Array.from({ length: L - 1 }, sens), cost, base: 7 };
      const pts = allConfigs(L).flatMap((cfg) => {
        const cs = configTriples(cfg).map((k) => cost.get(k));
        if (cs.some((c) => c === undefined)) return [];
        const s = cfg.reduce((a, c, l) => a + p.sW[l]!.get(c.w)! + (c.a !== undefined ? p.sA[l]!.get(c.a)! : 0), 0);
        return [{ cost: cs.reduce((a: number, c) => a + c!, 7), sens: s }];
      });
      const brute = pts.filter((q) => !pts.some((r) => r.cost <= q.cost && r.sens <= q.sens && (r.cost < q.cost || r.sens < q.sens)));
      const unique = [...new Map(brute.map((q) => [`${q.cost}/${q.sens}`, q])).values()].sort((a, b) => a.cost - b.cost);
      const front = bitFront(p);
      expect(front.map((q) => [q.cost, q.sensitivity])).toEqual(unique.map((q) => [q.cost, q.sens]));
      // each point's configuration has the cost and sensitivity it reports
      for (const q of front) {
        expect(configTriples(q.config).reduce((a, k) => a + cost.get(k)!, 7)).toBe(q.cost);
      }
      const mid = front[Math.floor(front.length / 2)]!;
      expect(bestUnder(front, mid.cost)).toBe(mid);
      expect(bestUnder(front, front[0]!.cost - 1)).toBeNull();
    }
  });

  it('with a weight-memory capacity: equals the brute-force front of the configurations that fit', () => {
    let binds = 0;
    for (let trial = 0; trial < 5; trial++) {
      const rng = new Rng(seed + 100 + trial);
      const L = 3 + (trial % 2);
      const cost = new Map<string, number>();
      const bits = new Map<string, number>();
      for (let l = 0; l < L; l++) for (const i of l === 0 ? [0] : A) for (const w of W) for (const o of l === L - 1 ? [0] : A) {
        if (rng.float() < 0.1) continue;
        const k = tripleKey(l, i, w, o);
        cost.set(k, rng.int(1, 40) * (w + o));
        bits.set(k, rng.int(0, 50) * w);
      }
      const sens = (): Map<number, number> => new Map([...W, ...A].map((b) => [b, rng.int(0, 64) / 16]));
      const base: BitProblem = { layers: L, wBits: W, aBits: A, sW: Array.from({ length: L }, sens), sA: Array.from({ length: L - 1 }, sens), cost, base: 3 };
      const all = allConfigs(L).flatMap((cfg) => {
        const ks = configTriples(cfg);
        if (ks.some((k) => !cost.has(k))) return [];
        const s = cfg.reduce((a, c, l) => a + base.sW[l]!.get(c.w)! + (c.a !== undefined ? base.sA[l]!.get(c.a)! : 0), 0);
        return [{ cost: ks.reduce((a, k) => a + cost.get(k)!, 3), sens: s, mem: ks.reduce((a, k) => a + bits.get(k)!, 0) }];
      });
      const mems = all.map((q) => q.mem).sort((a, b) => a - b);
      const limit = mems[Math.floor(mems.length * (0.2 + 0.15 * trial))]!;
      const fit = all.filter((q) => q.mem <= limit);
      const brute = fit.filter((q) => !fit.some((r) => r.cost <= q.cost && r.sens <= q.sens && (r.cost < q.cost || r.sens < q.sens)));
      const unique = [...new Map(brute.map((q) => [`${q.cost}/${q.sens}`, q])).values()].sort((a, b) => a.cost - b.cost);
      const front = bitFront({ ...base, capacity: { bits, limit } });
      expect(front.map((q) => [q.cost, q.sensitivity])).toEqual(unique.map((q) => [q.cost, q.sens]));
      for (const q of front) expect(configTriples(q.config).reduce((a, k) => a + bits.get(k)!, 0)).toBeLessThanOrEqual(limit);
      if (bitFront(base).some((q) => configTriples(q.config).reduce((a, k) => a + bits.get(k)!, 0) > limit)) binds++;
    }
    // in most trials the unconstrained front has points beyond the limit (the capacity is exercised)
    expect(binds).toBeGreaterThanOrEqual(3);
  });

  it('names uniform configurations and configurations', () => {
    const u = uniformConfigs(3, [1, 2], [4]);
    expect(u.map((x) => x.name)).toEqual(['w1a4', 'w2a4']);
    expect(configName(u[1]!.config)).toBe('w2a4 w2a4 w2');
  });
});

describe('per-layer cost split on a Design (lowbit estimate)', () => {
  const design = loadDesign('examples/autoquant/bitserial-mnist.json');
  for (const metric of COST_METRICS) {
    it(`${metric}: per-layer parts + shared part = the estimate; the DP front's costs = whole-model estimates`, () => {
      const ctx = { design, metric, batch: 4 };
      const cost = (cfg: BitConfig) => modelCost(configModel('tfc', [24, 16], cfg), ctx);
      const tab = fillCostTable(3, [1, 2, 4], [1, 4], cost);
      expect(tab.cost.size).toBeGreaterThan(0);
      // binary activations cannot feed 4-bit weights on this Design (no MAC, no bit-serial path for +-1 inputs)
      expect(tab.infeasible.get(tripleKey(1, 1, 4, 1))).toMatch(/fits neither/);
      const sens = (l: number) => new Map([[1, 5 / (l + 1)], [2, 2 / (l + 1)], [4, 1 / (l + 1)]]);
      const front = bitFront({ layers: 3, wBits: [1, 2, 4], aBits: [1, 4], sW: [0, 1, 2].map(sens), sA: [0, 1].map(sens), cost: tab.cost, base: tab.shared });
      expect(front.length).toBeGreaterThan(2);
      for (const q of front) {
        const whole = cost(q.config);
        expect(closeTo(whole.total, q.cost), `${configName(q.config)}: ${whole.total} vs ${q.cost}`).toBe(true);
        if (metric !== 'energy') expect(whole.total).toBe(q.cost);
        expect(whole.total).toBe(metric === 'cycles' ? whole.estimate.cycles : metric === 'energy' ? whole.estimate.energy.totalPJ : whole.estimate.memory.weightMemoryBits + whole.estimate.memory.paramMemoryBits);
        // the per-layer weight memory: the table's entries, summing to the estimate's weight memory
        expect(whole.weightBits).toEqual(configTriples(q.config).map((k) => tab.weightBits.get(k)));
        expect(whole.weightBits.reduce((a, b) => a + b, 0)).toBe(whole.estimate.memory.weightMemoryBits);
      }
    });
  }

  it('a weight buffer that holds no uniform MAC-array scheme: the front under the capacity compiles, the excluded schemes do not', () => {
    const small = loadDesign('examples/autoquant/bitserial-144k.json');
    const capacity = small.buffers.weightBytes * 8;
    const ctx = { design: withoutWeightLimit(small), metric: 'cycles' as const, batch: 1 };
    const cost = (cfg: BitConfig) => modelCost(configModel('sfc', undefined, cfg), ctx);
    const tab = fillCostTable(4, [1, 2], [1, 4], cost);
    const sens = (l: number) => new Map([[1, 4 / (l + 1)], [2, 1 / (l + 1)], [4, 0.5 / (l + 1)]]);
    const p = { layers: 4, wBits: [1, 2], aBits: [1, 4], sW: [0, 1, 2, 3].map(sens), sA: [0, 1, 2].map(sens), cost: tab.cost, base: tab.shared };
    const front = bitFront({ ...p, capacity: { bits: tab.weightBits, limit: capacity } });
    expect(front.length).toBeGreaterThan(1);
    const real = { design: small, metric: 'cycles' as const, batch: 1 };
    for (const q of front) {
      const c = modelCost(configModel('sfc', undefined, q.config), real);
      expect(c.total).toBe(q.cost);
      expect(c.estimate.memory.weightMemoryBits).toBeLessThanOrEqual(capacity);
    }
    // the unconstrained front reaches configurations that the Design refuses
    const wide = bitFront(p).filter((q) => !front.some((f) => configName(f.config) === configName(q.config)));
    expect(wide.length).toBeGreaterThan(0);
    for (const q of wide) expect(() => modelCost(configModel('sfc', undefined, q.config), real)).toThrow(/weight memory needs \d+ bytes; the Design's buffers.weightBytes is 147456/);
    expect(() => modelCost(configModel('sfc', undefined, uniformConfigs(4, [2], [4])[0]!.config), real)).toThrow(/buffers.weightBytes/);
  }, 120_000);
});
