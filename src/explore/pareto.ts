/**
 * Pareto fronts over any number of objectives. A point p dominates q when p is at least as good as q in
 * every objective and strictly better in one ("good" = larger for `max`, smaller for `min`). The front is
 * the set of points no other point dominates. O(n^2 * k), fine for sweeps of thousands of points.
 */
export interface Objective<T> {
  name: string;
  sense: 'max' | 'min';
  value: (p: T) => number;
}

/** True when `a` dominates `b`. NaN objective values never dominate and are never dominated-by-better. */
export function dominates<T>(a: T, b: T, objectives: readonly Objective<T>[]): boolean {
  let strictly = false;
  for (const o of objectives) {
    const va = o.value(a);
    const vb = o.value(b);
    if (Number.isNaN(va) || Number.isNaN(vb)) return false;
    const better = o.sense === 'max' ? va > vb : va < vb;
    const worse = o.sense === 'max' ? va < vb : va > vb;
    if (worse) return false;
    if (better) strictly = true;
  }
  return strictly;
}

/** Indices of the non-dominated points, in input order. Duplicates of a front point are all kept. */
export function paretoFront<T>(points: readonly T[], objectives: readonly Objective<T>[]): number[] {
  const front: number[] = [];
  for (let i = 0; i < points.length; i++) {
    let dominated = false;
    for (let j = 0; j < points.length && !dominated; j++) {
      if (j !== i && dominates(points[j], points[i], objectives)) dominated = true;
    }
    if (!dominated) front.push(i);
  }
  return front;
}
