import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { paretoFront, dominates, type Objective } from '../../src/explore/pareto.js';

type P = { acc: number; energy: number };
const objs: Objective<P>[] = [
  { name: 'acc', sense: 'max', value: (p) => p.acc },
  { name: 'energy', sense: 'min', value: (p) => p.energy },
];

describe('pareto front', () => {
  it('keeps exactly the non-dominated points of a hand-made set', () => {
    const pts: P[] = [
      { acc: 90, energy: 1 }, // front: cheapest
      { acc: 95, energy: 2 }, // front
      { acc: 94, energy: 3 }, // dominated by (95, 2)
      { acc: 99, energy: 10 }, // front: most accurate
      { acc: 95, energy: 2 }, // duplicate of a front point: kept
      { acc: 89, energy: 1 }, // dominated by (90, 1)
    ];
    expect(paretoFront(pts, objs)).toEqual([0, 1, 3, 4]);
  });

  it('a point never dominates itself; NaN never dominates', () => {
    expect(dominates({ acc: 1, energy: 1 }, { acc: 1, energy: 1 }, objs)).toBe(false);
    expect(dominates({ acc: NaN, energy: 0 }, { acc: 1, energy: 1 }, objs)).toBe(false);
  });

  it('property: no front point is dominated, every other point is dominated by a front point', () => {
    const seed = 1234;
    fc.assert(
      fc.property(fc.array(fc.record({ acc: fc.integer({ min: 0, max: 20 }), energy: fc.integer({ min: 0, max: 20 }) }), { maxLength: 40 }), (pts) => {
        const front = new Set(paretoFront(pts, objs));
        pts.forEach((p, i) => {
          const dominatedByFront = [...front].some((j) => dominates(pts[j], p, objs));
          expect(front.has(i)).toBe(!dominatedByFront);
        });
      }),
      { seed, numRuns: 200 },
    );
  });
});
