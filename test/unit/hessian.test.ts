import { describe, it, expect } from 'vitest';
import { hutchinsonTraces, networkHessianTraces } from '../../src/train/hessian.js';
import { param, type Param } from '../../src/train/layer.js';
import { Dense } from '../../src/train/dense.js';
import { Network } from '../../src/train/network.js';
import { BatchNorm } from '../../src/train/norm.js';
import { Activation, Dropout } from '../../src/train/activations.js';
import { Rng, testSeed } from '../../src/util/rng.js';

const seed = testSeed(20);

/** L(w) = 1/2 w^T A w over the concatenation of the groups' parameters: gradient A w, Hessian A. */
function quadratic(A: number[][], sizes: number[], rng: Rng): { groups: Param[][]; grad: () => void } {
  const groups = sizes.map((s, i) => [param(`w${i}`, s, false)]);
  const ps = groups.flat();
  for (const p of ps) for (let i = 0; i < p.value.length; i++) p.value[i] = rng.normal();
  const grad = (): void => {
    const w = ps.flatMap((p) => Array.from(p.value));
    let k = 0;
    for (const p of ps) for (let i = 0; i < p.value.length; i++, k++) p.grad[i] = A[k]!.reduce((a, aij, j) => a + aij * w[j]!, 0);
  };
  return { groups, grad };
}

function symmetric(n: number, rng: Rng, offDiag: boolean): number[][] {
  const A = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    A[i]![i] = rng.int(1, 9);
    if (offDiag) for (let j = 0; j < i; j++) A[i]![j] = A[j]![i] = rng.int(-3, 3);
  }
  return A;
}

const blockTrace = (A: number[][], from: number, to: number): number => A.slice(from, to).reduce((a, r, i) => a + r[from + i]!, 0);

describe('Hutchinson trace (seed ' + seed + ')', () => {
  it('a diagonal Hessian: every Rademacher sample gives the exact trace of each block', () => {
    const rng = new Rng(seed);
    const A = symmetric(7, rng, false);
    const q = quadratic(A, [4, 3], rng);
    const w = q.groups.flat().map((p) => p.value.slice());
    const t = hutchinsonTraces(q.groups, q.grad, { samples: 5, seed, epsRel: 0.1 });
    expect(t.map((g) => g.size)).toEqual([4, 3]);
    for (const [gi, [a, b]] of [[0, 4], [4, 7]].entries()) {
      for (const v of t[gi]!.values) expect(Math.abs(v - blockTrace(A, a!, b!))).toBeLessThan(1e-5 * blockTrace(A, a!, b!));
      expect(t[gi]!.stderr).toBeLessThan(1e-5);
    }
    // the weights are restored bit for bit
    q.groups.flat().forEach((p, k) => expect(Array.from(p.value)).toEqual(Array.from(w[k]!)));
  });

  it('a coupled Hessian: the mean converges to each diagonal block trace, cross-block terms cancel', () => {
    const rng = new Rng(seed + 1);
    const A = symmetric(8, rng, true);
    const q = quadratic(A, [5, 3], rng);
    const t = hutchinsonTraces(q.groups, q.grad, { samples: 400, seed, epsRel: 0.1 });
    for (const [gi, [a, b]] of [[0, 5], [5, 8]].entries()) {
      const exact = blockTrace(A, a!, b!);
      // the per-sample values vary (off-diagonal terms), their mean is within 4 standard errors of Tr(H_ll)
      expect(t[gi]!.stderr).toBeGreaterThan(0);
      expect(Math.abs(t[gi]!.trace - exact), `block ${gi}: ${t[gi]!.trace} vs ${exact} +- ${t[gi]!.stderr}`).toBeLessThan(4 * t[gi]!.stderr);
    }
    // the whole trace is not what a block reports
    expect(Math.abs(t[0]!.trace - blockTrace(A, 0, 8))).toBeGreaterThan(4 * t[0]!.stderr);
  });

  it('a softmax regression: the trace equals (1/n) sum_b sum_c p_c (1 - p_c) |x_b|^2', () => {
    const rng = new Rng(seed + 2);
    const K = 6;
    const C = 4;
    const n = 16;
    const dense = new Dense(K, C, { method: 'none', bits: 32 }, false, rng);
    const net = new Network([K], [dense]);
    const x = new Float32Array(n * K).map(() => rng.normal());
    const y = Uint8Array.from({ length: n }, () => rng.int(0, C - 1));
    // H = (1/n) sum_b (diag(p_b) - p_b p_b^T) (x) x_b x_b^T, whose trace is below
    let exact = 0;
    for (let b = 0; b < n; b++) {
      const z = Array.from({ length: C }, (_, c) => dense.weight.value.slice(c * K, (c + 1) * K).reduce((a, w, i) => a + w * x[b * K + i]!, 0));
      const m = Math.max(...z);
      const e = z.map((v) => Math.exp(v - m));
      const s = e.reduce((a, v) => a + v, 0);
      const xx = Array.from(x.subarray(b * K, (b + 1) * K)).reduce((a, v) => a + v * v, 0);
      exact += e.reduce((a, v) => a + (v / s) * (1 - v / s), 0) * xx;
    }
    exact /= n;
    const [t] = networkHessianTraces(net, x, y, n, { samples: 300, seed, epsRel: 1e-2 });
    expect(t!.layer).toBe(0);
    expect(Math.abs(t!.trace - exact), `${t!.trace} vs ${exact} +- ${t!.stderr}`).toBeLessThan(Math.max(4 * t!.stderr, 1e-3 * exact));
    expect(t!.stderr).toBeLessThan(0.1 * exact);
  });

  it('restores batch-norm running statistics and refuses dropout', () => {
    const rng = new Rng(seed + 3);
    const bn = new BatchNorm(5);
    const net = new Network([4], [new Dense(4, 5, { method: 'none', bits: 32 }, false, rng), bn, new Activation('relu', 32), new Dense(5, 3, { method: 'none', bits: 32 }, true, rng)]);
    const x = new Float32Array(8 * 4).map(() => rng.normal());
    const y = Uint8Array.from({ length: 8 }, () => rng.int(0, 2));
    const before = [bn.mean.slice(), bn.var.slice()];
    const t = networkHessianTraces(net, x, y, 8, { samples: 3, seed });
    expect(t.map((g) => g.layer)).toEqual([0, 3]);
    expect(t.every((g) => Number.isFinite(g.trace))).toBe(true);
    expect([bn.mean, bn.var].map((a) => Array.from(a))).toEqual(before.map((a) => Array.from(a)));
    const withDrop = new Network([4], [new Dense(4, 3, { method: 'none', bits: 32 }, false, rng), new Dropout(0.2, rng)]);
    expect(() => networkHessianTraces(withDrop, x, y, 8, { samples: 1, seed })).toThrow(/dropout/);
  });
});
