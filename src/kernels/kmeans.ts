/**
 * One-dimensional k-means for weight sharing (Deep Compression, Han et al. 2016).
 *
 * Initialisation: k-means++ (Arthur & Vassilvitskii 2007), seeded through `Rng`: the first centroid is a
 * uniformly drawn value, each next one a value drawn with probability proportional to its squared distance
 * to the nearest chosen centroid. Then Lloyd iterations until no assignment changes (at most `maxIter`):
 * assign each value to its nearest centroid (ties to the lower centroid), move each centroid to the mean
 * of its values (an empty cluster keeps its centroid). In 1-D, with the values sorted and the centroids
 * sorted, each cluster is a contiguous run, found from the midpoints between neighbouring centroids.
 */
import { Rng } from '../util/rng.js';
import { badValue, checkFiniteArray, checkInt } from '../util/errors.js';

export interface KMeansResult {
  /** sorted ascending */
  centroids: Float64Array;
  /** cluster index of each input value (into `centroids`) */
  assign: Int32Array;
  iterations: number;
  /** sum of squared distances to the assigned centroid */
  sse: number;
}

export function kmeans1d(values: ArrayLike<number>, k: number, seed: number, maxIter = 100): KMeansResult {
  checkInt('k', k, 1, 1 << 16);
  const n = values.length;
  if (n === 0) throw badValue('values.length', 0, 'at least 1');
  checkFiniteArray('values', values);
  checkInt('seed', seed, 0, 2 ** 32 - 1);
  checkInt('maxIter', maxIter, 1, 1e6);
  const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const v = Float64Array.from(order, (i) => values[i]);
  const rng = new Rng(seed);
  // k-means++ seeding
  const cents: number[] = [v[Math.floor(rng.float() * n)]];
  const d2 = new Float64Array(n);
  for (let i = 0; i < n; i++) d2[i] = (v[i] - cents[0]) ** 2;
  while (cents.length < Math.min(k, n)) {
    let total = 0;
    for (let i = 0; i < n; i++) total += d2[i];
    if (total === 0) break; // fewer distinct values than k
    let r = rng.float() * total;
    let pick = n - 1;
    for (let i = 0; i < n; i++) {
      r -= d2[i];
      if (r < 0) {
        pick = i;
        break;
      }
    }
    const c = v[pick];
    cents.push(c);
    for (let i = 0; i < n; i++) d2[i] = Math.min(d2[i], (v[i] - c) ** 2);
  }
  const C = Float64Array.from(cents).sort();
  const K = C.length;
  const sortedAssign = new Int32Array(n).fill(-1);
  let it = 0;
  for (; it < maxIter; it++) {
    let changed = false;
    let c = 0;
    for (let i = 0; i < n; i++) {
      while (c + 1 < K && v[i] - C[c] > C[c + 1] - v[i]) c++;
      if (sortedAssign[i] !== c) {
        sortedAssign[i] = c;
        changed = true;
      }
    }
    if (!changed) break;
    const sum = new Float64Array(K);
    const cnt = new Float64Array(K);
    for (let i = 0; i < n; i++) {
      sum[sortedAssign[i]] += v[i];
      cnt[sortedAssign[i]]++;
    }
    for (let j = 0; j < K; j++) if (cnt[j] > 0) C[j] = sum[j] / cnt[j];
  }
  const assign = new Int32Array(n);
  let sse = 0;
  for (let i = 0; i < n; i++) {
    assign[order[i]] = sortedAssign[i];
    sse += (v[i] - C[sortedAssign[i]]) ** 2;
  }
  return { centroids: C, assign, iterations: it, sse };
}
