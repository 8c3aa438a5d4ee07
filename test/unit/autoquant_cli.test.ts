import { describe, it, expect } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/cli.js';
import { mnistSubset } from './helpers/mnist_subset.js';
import { loadQuantizedModel } from '../../src/model/format.js';
import { integerAccuracy } from '../../src/train/run.js';
import { loadMnist } from '../../src/data/mnist.js';
import { loadDesign } from '../../src/hw/design.js';
import { modelCost } from '../../src/explore/bitwidth_cost.js';
import { buildNetwork } from '../../src/train/arch.js';
import { Dense } from '../../src/train/dense.js';
import { Activation } from '../../src/train/activations.js';
import { difference, excludedUniform } from '../../src/flows/autoquant_report.js';
import type { AutoquantResult } from '../../src/flows/autoquant.js';
import type { TrainedPoint } from '../../src/flows/autoquant.js';

const DESIGN = 'examples/autoquant/bitserial-mnist.json';

describe('lowbit autoquant', () => {
  it('a tiny MLP end to end: the chosen model fits the budget, is saved, re-measures as reported; the report has its plots', async () => {
    const data = mnistSubset(900, 300);
    const d = mkdtempSync(join(tmpdir(), 'lowbit-aq-'));
    const args = ['autoquant', '--arch', 'tfc', '--hidden', '12,8', '--w-bits', '1,2,4', '--a-bits', '1,2', '--design', DESIGN, '--budget', 'w2a2',
      '--fp-epochs', '1', '--epochs', '1', '--val-images', '200', '--hessian-images', '100', '--hessian-samples', '2', '--front', '1', '--seeds', '2',
      '--data', data, '--out', join(d, 'model'), '--report', join(d, 'report'), '--json'];
    const r = await runCli(args);
    expect(r.code, r.err.slice(-600)).toBe(0);
    const res = JSON.parse(r.out);
    const w2a2 = res.uniform.find((u: { name: string }) => u.name === 'w2a2');
    expect(res.budget).toBe(w2a2.cost);
    expect(res.chosen.model).toBeUndefined();
    expect(res.chosen.cost).toBeLessThanOrEqual(res.budget);
    expect(res.chosen.config).toHaveLength(3);
    // every feasible uniform scheme was fine-tuned; the best one at or above the chosen cost is the one reported
    const uni = res.trained.filter((t: { kind: string }) => t.kind === 'uniform');
    expect(uni.map((t: { name: string }) => t.name).sort()).toEqual(res.uniform.filter((u: { cost: number | null }) => u.cost !== null).map((u: { name: string }) => u.name).sort());
    const above = uni.filter((t: { cost: number }) => t.cost >= res.chosen.cost);
    expect(res.bestUniformAtOrAbove.testAccuracy).toBe(Math.max(...above.map((t: { testAccuracy: number }) => t.testAccuracy)));
    // front points are mixed: a uniform configuration on the front is trained once, as the uniform scheme
    const uniformNames = new Set(uni.map((t: { config: unknown }) => JSON.stringify(t.config)));
    for (const t of res.trained.filter((x: { kind: string }) => x.kind === 'front')) expect(uniformNames.has(JSON.stringify(t.config)), t.name).toBe(false);
    // two fine-tuning seeds each: the accuracy is their mean
    for (const t of res.trained) {
      expect(t.accuracies).toHaveLength(2);
      expect(t.testAccuracy).toBeCloseTo((t.accuracies[0] + t.accuracies[1]) / 2, 12);
    }
    // the saved model is the chosen one (its first seed): same accuracy on the test images, same cost on the Design
    const m = loadQuantizedModel(join(d, 'model'));
    expect(integerAccuracy(m, loadMnist('test', data))).toBe(res.chosen.accuracies[0]);
    expect(modelCost(m, { design: loadDesign(DESIGN), metric: 'cycles', batch: 1 }).total).toBe(res.chosen.cost);
    for (const f of ['index.md', 'index.html', 'plots/accuracy-vs-cost.svg', 'plots/front.svg']) expect(existsSync(join(d, 'report', f)), f).toBe(true);
    const md = readFileSync(join(d, 'report', 'index.md'), 'utf8');
    expect(md).toContain('Comparison with every uniform scheme at the same cost');
    expect(md).toContain(res.chosen.name);
    expect(md).toMatch(/over 2 and 2 seeds/);
    // binary activations cannot feed 4-bit weights on this Design: named among the infeasible layer choices
    expect(res.infeasible.some(([k]: [string]) => /^[12]:1:4:/.test(k))).toBe(true);
  }, 240_000);

  it('difference of mean accuracies against the seed-to-seed noise: s.e. = sqrt(s_a^2/n_a + s_b^2/n_b)', () => {
    const point = (accuracies: number[]) => ({ accuracies, testAccuracy: accuracies.reduce((a, x) => a + x, 0) / accuracies.length }) as unknown as TrainedPoint;
    // a: 0.97, 0.98, 0.99 (mean 0.98, s^2 = 1e-4); b: 0.95, 0.95, 0.95 (s^2 = 0): s.e. = sqrt(1e-4 / 3) = 0.57735 points
    const d = difference(point([0.97, 0.98, 0.99]), point([0.95, 0.95, 0.95]));
    expect(d.points).toBeCloseTo(3, 10);
    expect(d.se).toBeCloseTo(100 * Math.sqrt(1e-4 / 3), 10);
    expect(d.real).toBe(true);
    // 0.2 points apart with the same spread: within 2 s.e.
    expect(difference(point([0.969, 0.979, 0.989]), point([0.967, 0.977, 0.987])).real).toBe(false);
    expect(difference(point([0.98]), point([0.95, 0.96]))).toEqual({ points: expect.closeTo(2.5, 10), se: null, real: null });
  });

  it('the report names the uniform schemes that do not run on the Design, with the reason; they are not competitors', () => {
    const r = { weightCapacity: 1179648, uniform: [
      { name: 'w1a1', config: [], cost: 14953 },
      { name: 'w2a4', config: [], cost: null, error: "the weight memory needs 167936 bytes; the Design's buffers.weightBytes is 147456" },
    ] } as unknown as AutoquantResult;
    expect(excludedUniform(r)).toBe("Uniform schemes excluded (they do not run on the Design, weight buffer 1179648 bits, so they are not competitors): w2a4 (the weight memory needs 167936 bytes; the Design's buffers.weightBytes is 147456).");
    expect(excludedUniform({ ...r, uniform: [r.uniform[0]!] })).toMatch(/^Every uniform scheme of the candidate bits runs on the Design/);
  });

  it('bad options: one line, exit 2', async () => {
    const base = ['autoquant', '--arch', 'tfc', '--design', DESIGN];
    for (const [extra, re] of [
      [['--budget', 'lots'], /--budget.*positive number/],
      [['--budget', 'w3a2'], /--budget.*candidate bits/],
      [['--budget', '-5'], /--budget/],
      [['--budget', '100', '--w-bits', '0,2'], /--w-bits/],
      [['--budget', '100', '--a-bits', '16'], /--a-bits/],
      [['--budget', '100', '--epochs', '0'], /--epochs/],
      [['--budget', '100', '--seeds', '0'], /--seeds/],
      [['--budget', '100', '--metric', 'area'], /metric/i],
    ] as [string[], RegExp][]) {
      const r = await runCli([...base, ...extra]);
      expect(r.code, extra.join(' ')).toBe(2);
      expect(r.err.trim().split('\n'), r.err).toHaveLength(1);
      expect(r.err).toMatch(re);
    }
    const cnn = await runCli(['autoquant', '--arch', 'cnn', '--design', DESIGN, '--budget', '100']);
    expect(cnn.code).toBe(2);
  });

  it('layerBits builds each layer with its own weight and activation bits, and refuses a wrong list', () => {
    const net = buildNetwork({ arch: 'tfc', hidden: [6, 5], weights: { method: 'int', bits: 8 }, act: { method: 'pact', bits: 4 }, layerBits: [{ w: 2, a: 1 }, { w: 1, a: 4 }, { w: 8 }] }, 1);
    const dense = net.layers.filter((l): l is Dense => l instanceof Dense);
    expect(dense.map((l) => [l.wq.method, l.wq.bits])).toEqual([['int', 2], ['binary', 1], ['int', 8]]);
    expect(net.layers.filter((l): l is Activation => l instanceof Activation).map((a) => [a.method, a.bits])).toEqual([['sign', 1], ['pact', 4]]);
    const spec = { arch: 'tfc' as const, hidden: [6, 5], weights: { method: 'int' as const, bits: 8 }, act: { method: 'pact' as const, bits: 4 } };
    expect(() => buildNetwork({ ...spec, layerBits: [{ w: 2, a: 1 }, { w: 8 }] }, 1)).toThrow(/3 \(one per weighted layer/);
    expect(() => buildNetwork({ ...spec, layerBits: [{ w: 2, a: 1 }, { w: 2, a: 1 }, { w: 8, a: 2 }] }, 1)).toThrow(/raw logits/);
    expect(() => buildNetwork({ ...spec, layerBits: [{ w: 0, a: 1 }, { w: 2, a: 1 }, { w: 8 }] }, 1)).toThrow(/layerBits\[0\]\.w/);
  });
});
