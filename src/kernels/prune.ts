/**
 * Magnitude pruning (Deep Compression, Han et al. 2016, and Han et al. 2015): the round(fraction * N)
 * weights of smallest |w| become 0 (ties by position, the lower index first). Shared by
 * `lowbit compress` (quant/compress.ts) and pruning with retraining (train/prune_weights.ts).
 */
import { badValue } from '../util/errors.js';

/** The indices of the round(fraction * N) smallest-magnitude weights (ties by position). */
export function prunedIndices(w: Float32Array, fraction: number): Int32Array {
  if (!(fraction >= 0 && fraction < 1)) throw badValue('prune', fraction, 'a fraction 0 <= P < 1');
  const n = Math.round(fraction * w.length);
  return Int32Array.from({ length: w.length }, (_, i) => i).sort((a, b) => Math.abs(w[a]!) - Math.abs(w[b]!) || a - b).slice(0, n);
}

/** Zeroes the round(fraction * N) smallest-magnitude weights (ties by position); returns the new array. */
export function magnitudePrune(w: Float32Array, fraction: number): Float32Array {
  const out = w.slice();
  for (const i of prunedIndices(w, fraction)) out[i] = 0;
  return out;
}
