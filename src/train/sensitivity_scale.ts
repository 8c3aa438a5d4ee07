/**
 * The MSE-optimal scale of a uniform grid, exactly (the perturbation HAWQ's Omega and the measured
 * sensitivities use, sensitivity.ts).
 *
 * Grid {0, 1, ..., Q} x s for magnitudes a_i >= 0 (signed symmetric weights: a = |w|, q keeps w's sign, so
 * the grid is {-Q..Q} x s; unsigned activations: a = y >= 0). For a scale s the nearest level is
 * q_i(s) = min(Q, round(a_i / s)), and
 *   E(s) = sum_i (a_i - s q_i(s))^2.
 * For a fixed assignment q, E is least at s = A / B (A = sum a_i q_i, B = sum q_i^2) with value
 * |a|^2 - A^2 / B, and the joint minimum over (s, q) is reached at an assignment q(s*) that is nearest for its
 * own s*. As s falls from +inf, q_i steps from j to j + 1 at s = a_i / (j + 1/2), j = 0..Q-1, so sweeping
 * these n Q breakpoints in descending order (a Q-way merge of the sorted a_i / (j + 1/2)) and keeping
 * A (+= a_i) and B (+= 2j + 1) visits every assignment any s produces; the least |a|^2 - A^2 / B over them
 * is the global minimum of E, and its A / B the optimal step. Cost O(n Q log Q).
 *
 * Nested grids make the optimum non-increasing in the bits: {0..Q} s is contained in {0..2Q+1} s/2
 * (b-bit symmetric, Q = 2^(b-1) - 1, inside (b+1)-bit; unsigned n = 2^a - 1 inside 2n + 1), and the sign
 * grid {-s, +s} inside the ternary {-s, 0, +s}, so every scale of the coarser grid has a finer-grid scale
 * with no larger error.
 */

export interface OptimalStep {
  /** the MSE-optimal step s (1 when every a_i is 0) */
  step: number;
  /** E(step) = the least squared error */
  error: number;
}

/** The exact MSE-optimal step of the grid {0..Q} x s for the magnitudes a (all >= 0). */
export function optimalStep(a: ArrayLike<number>, Q: number): OptimalStep {
  const v = Float64Array.from(a).filter((x) => x > 0).sort().reverse();
  let norm2 = 0;
  for (const x of v) norm2 += x * x;
  if (v.length === 0) return { step: 1, error: 0 };
  // list j: v[p[j]] / (j + 1/2), descending; a max-heap of the lists keyed by their current head
  const p = new Int32Array(Q);
  const inv = Float64Array.from({ length: Q }, (_, j) => 1 / (j + 0.5));
  const key = Float64Array.from({ length: Q }, (_, j) => v[0]! * inv[j]!);
  const heap = Int32Array.from({ length: Q }, (_, j) => j);
  let size = Q;
  const down = (i: number): void => {
    const x = heap[i]!;
    const kx = key[x]!;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= size) break;
      if (c + 1 < size && key[heap[c + 1]!]! > key[heap[c]!]!) c++;
      if (key[heap[c]!]! <= kx) break;
      heap[i] = heap[c]!;
      i = c;
    }
    heap[i] = x;
  };
  for (let i = (size >> 1) - 1; i >= 0; i--) down(i);
  let A = 0;
  let B = 0;
  let best = { step: v[0]! / Q, error: norm2 };
  while (size > 0) {
    const j = heap[0]!;
    A += v[p[j]!]!;
    B += 2 * j + 1;
    const e = norm2 - (A * A) / B;
    if (e < best.error) best = { step: A / B, error: Math.max(0, e) };
    if (++p[j]! < v.length) key[j] = v[p[j]!]! * inv[j]!;
    else heap[0] = heap[--size]!;
    down(0);
  }
  return best;
}

/** The sign grid {-s, +s} (1-bit weights): s = mean|w| is optimal, E = |w|^2 - (sum |w|)^2 / n. */
export function optimalSignStep(w: ArrayLike<number>): OptimalStep {
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < w.length; i++) {
    s1 += Math.abs(w[i]!);
    s2 += w[i]! * w[i]!;
  }
  if (w.length === 0) return { step: 1, error: 0 };
  return { step: s1 / w.length, error: Math.max(0, s2 - (s1 * s1) / w.length) };
}
